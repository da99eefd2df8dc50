# dd block copies, seeks and counts.
dd if=/dev/zero of=z bs=1024 count=64 2>&1
wc -c < z
md5sum < z
printf 'HELLO' | dd of=z bs=1 seek=100 conv=notrunc 2>/dev/null
dd if=z bs=1 skip=98 count=9 2>/dev/null | od -An -c
