# Large amounts of data through pipes.
yes abcdefghij | head -c 3000000 | wc -c
seq 1 200000 | md5sum
dd if=/dev/zero bs=65536 count=64 2>/dev/null | cat | cat | wc -c
