# /proc/<pid>/fdinfo: each descriptor's offset and open flags (O_APPEND, O_NONBLOCK, O_CLOEXEC, the access mode),
# and how reads, seeks and fcntl change them. Mount ids and inode numbers are left out.
printf '0123456789' > file
exec 3<file 4>>file 5<>file
info() { grep -E '^(pos|flags)' /proc/$$/fdinfo/$1 | tr '\t' ' ' | tr '\n' ' '; echo; }
for fd in 0 3 4 5; do echo "fd $fd: $(info $fd)"; done
dd bs=4 count=1 <&3 2>/dev/null; echo
echo "fd 3 after reading 4: $(info 3)"
ls /proc/self/fdinfo | tr '\n' ' '; echo
stat -c '%A' /proc/$$/fdinfo /proc/$$/fdinfo/3
sh -c 'grep flags /proc/self/fdinfo/1 | tr "\t" " "' | cat
grep -E '^(pos|flags)' /proc/self/fdinfo/0 < file | tr '\t' ' '
exec 3<&- 4>&- 5<&-
cat /proc/$$/fdinfo/3 2>/dev/null || echo 'fdinfo/3 is gone'
