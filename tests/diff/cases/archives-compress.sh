# Compressors and cpio round trips.
seq 1 20000 > data
for z in gzip bzip2; do
    $z -c data > data.z && $z -d -c data.z | cmp - data && echo "$z roundtrip"
done
mkdir tree && cp data tree/a && echo b > tree/b
find tree | sort | cpio -o -H newc 2>/dev/null > t.cpio
mkdir out && cd out && cpio -i -d < ../t.cpio 2>/dev/null && cd ..
cmp tree/a out/tree/a && cat out/tree/b
