# Background children, kill and wait. The shell's own job notices ("Terminated") depend on when it happens to reap
# a child, so its stderr is set aside while jobs are signalled; the statuses are what the kernel decides.
exec 3>&2 2>/dev/null
sleep 10 &
pid=$!
sleep 0.2
kill $pid
wait $pid; echo "killed sleep: $?"
sh -c 'exit 5' &
wait $!; echo "exit 5: $?"
sleep 10 &
sleep 0.2
kill -STOP $!
kill -CONT $!
kill -TERM $!
wait $!; echo "after stop/cont: $?"
exec 2>&3 3>&-
kill -0 99999; echo "no such process: $?"
