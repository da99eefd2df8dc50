# /proc/<pid> of other processes: a child's state, its command line, and what disappears when it ends.
sleep 5 &
pid=$!
sleep 0.2
tr '\0' ' ' < /proc/$pid/cmdline; echo
awk '{print $2, $3}' /proc/$pid/stat
test $(awk '{print $4}' /proc/$pid/stat) = $$ && echo "ppid is the shell"
kill -STOP $pid; sleep 0.2
grep State /proc/$pid/status | tr '\t' ' '
kill -KILL $pid; wait $pid 2>/dev/null
sleep 0.2
test -e /proc/$pid && echo "still there" || echo "gone"
test -d /proc/1 && echo "init exists"
