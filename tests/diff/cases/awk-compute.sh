# Computation in awk and sort over seeded pseudo-random data.
awk 'BEGIN { srand(7); for (i = 0; i < 20000; i++) print int(rand() * 100000) }' > r
sort -n r | head -3
sort -n r | tail -3
sort -rn r | uniq | wc -l
sort -n r | md5sum
awk '{ s += $1 } END { print s, NR }' r
