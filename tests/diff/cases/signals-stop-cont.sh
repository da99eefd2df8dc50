# SIGSTOP and SIGCONT seen in /proc (waiting for each state change with a bounded loop), a stopped process that
# SIGTERM does not wake, and SIGKILL.
sleep 100 &
pid=$!
state() {
    i=0
    until grep -q "^State:.$1" /proc/$pid/status; do
        i=$((i + 1))
        [ $i -gt 100000 ] && { echo "never reached $1"; return; }
    done
    grep '^State:' /proc/$pid/status | tr '\t' ' '
}
state S
kill -STOP $pid; state T
kill -CONT $pid; state S
kill -STOP $pid; state T
kill -TERM $pid; state T
# The shell's own "Terminated"/"Killed" notes depend on when it reaps the child: not part of the output.
{ kill -CONT $pid; wait $pid; } 2>/dev/null
echo "exit $?"
sleep 100 &
{ kill -KILL $!; wait $!; } 2>/dev/null
echo "exit $?"
