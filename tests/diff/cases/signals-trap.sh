# Traps and signals sent to the shell itself.
trap 'echo caught USR1' USR1
kill -USR1 $$
trap 'echo caught TERM' TERM
kill -TERM $$
trap - USR1
trap 'echo exiting' EXIT
sh -c 'kill -INT $$'; echo "child INT: $?"
sh -c 'kill -SEGV $$'; echo "child SEGV: $?"
sh -c 'kill -KILL $$'; echo "child KILL: $?"
