# /proc/self/fd: where the descriptors of a process point, with redirections, a device and a directory, and how
# the list changes when they close.
echo data > file
exec 3<file 4>>out 5</dev/null 6<.
for fd in 3 4 5 6; do readlink /proc/$$/fd/$fd | sed "s|$PWD|.|"; done
cat /proc/$$/fd/3
ls /proc/self/fd | tr "\n" " "; echo
stat -L -c '%F %s' /proc/$$/fd/3 /proc/$$/fd/5 /proc/$$/fd/6 | sed 's/directory [0-9]*/directory/'
exec 3<&- 4>&- 5<&- 6<&-
ls /proc/self/fd | tr "\n" " "; echo
