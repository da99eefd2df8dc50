# dd block sizes, conversions and partial blocks.
seq 1 3000 > src
dd if=src of=a bs=7 2>/dev/null; cmp src a && echo "bs=7 same"
dd if=src of=b bs=4096 count=2 2>/dev/null; wc -c < b
dd if=src of=c bs=1000 skip=3 2>/dev/null; wc -c < c
printf 'abc' | dd of=d bs=8 conv=sync 2>/dev/null; od -An -tx1 d
printf 'XY' | dd of=src bs=1 seek=2 conv=notrunc 2>/dev/null; head -c 8 src | od -An -c
dd if=/dev/zero of=e bs=1 count=0 seek=5000 2>/dev/null; wc -c < e
