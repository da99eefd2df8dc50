# /proc/self/fd: where the descriptors of a process point, with redirections, a deleted file and a directory.
echo data > file
exec 3<file 4>>out 5</dev/null 6<.
for fd in 3 4 5; do readlink /proc/$$/fd/$fd | sed "s|$PWD|.|"; done
readlink /proc/$$/fd/6 | sed "s|$PWD|.|"
rm file
readlink /proc/$$/fd/3 | sed "s|$PWD|.|"
cat /proc/$$/fd/3
ls /proc/$$/fd | sort -n | tr '\n' ' '; echo
stat -L -c '%F %s' /proc/$$/fd/3 /proc/$$/fd/5
exec 3<&- 4>&- 5<&- 6<&-
ls /proc/$$/fd | sort -n | tr '\n' ' '; echo
grep -E '^(pos|flags)' /proc/self/fdinfo/0 </dev/null
