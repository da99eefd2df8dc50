# /proc/self/maps names the areas of the reading process.
grep -c '\[stack\]' /proc/self/maps
grep -q ' /bin/busybox$' /proc/self/maps && echo "busybox is mapped"
awk '{print $2}' /proc/self/maps | grep -c '^r-xp$' | awk '{print ($1 > 0) ? "has code" : "no code"}'
