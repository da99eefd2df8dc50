# Background children, kill and wait (each child is given time to start before it is signalled).
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
kill -0 99999; echo "no such process: $?"
