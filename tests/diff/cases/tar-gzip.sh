# Archives: tar and gzip round trips.
mkdir -p tree/sub
seq 1 1000 > tree/numbers
echo hi > tree/sub/hello
ln -s numbers tree/link
tar cf t.tar tree
tar tf t.tar | sort
gzip -9 -c t.tar > t.tar.gz
gunzip -c t.tar.gz | cmp - t.tar && echo gzip roundtrip
mkdir out && cd out && tar xzf ../t.tar.gz && cd ..
cmp tree/numbers out/tree/numbers && echo tar roundtrip
readlink out/tree/link
seq 1 50000 | gzip | gunzip | md5sum
