# A larger file written and read back.
seq 1 200000 > big
wc -c < big
md5sum < big
cp big big2 && cmp big big2 && echo copy same
tail -3 big2
head -c 1000000 /dev/zero | md5sum
