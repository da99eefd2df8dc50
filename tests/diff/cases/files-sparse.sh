# Writing past the end leaves a hole that reads as zeros.
printf 'x' | dd of=s bs=1 seek=100000 2>/dev/null
wc -c < s
od -An -tx1 -N 8 s
tail -c 1 s; echo
md5sum < s
