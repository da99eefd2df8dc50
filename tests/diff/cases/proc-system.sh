# System-wide /proc files: shapes, not values.
grep -c ^processor /proc/cpuinfo
awk 'NR==1 {print NF}' /proc/loadavg
awk '{print NF}' /proc/uptime
grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo | awk '{print $1, $3}'
head -1 /proc/stat | awk '{print $1}'
grep -c '^cpu[0-9]' /proc/stat
grep -w proc /proc/filesystems | tr '\t' ' '
grep -w tmpfs /proc/filesystems | tr '\t' ' '
cat /sys/devices/system/cpu/online
