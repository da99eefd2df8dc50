# How signals end a process: the shell's $? is 128 + the signal number; ignored and caught signals let it go on.
for sig in HUP INT QUIT ILL ABRT USR1 SEGV USR2 PIPE ALRM TERM KILL; do
    sh -c "kill -s $sig \$\$; echo not reached"
    echo "$sig: $?"
done
sh -c 'trap "" TERM USR1; kill -TERM $$; kill -USR1 $$; echo ignored both'
sh -c 'trap "echo caught USR2" USR2; kill -USR2 $$; echo after the handler'
sh -c 'trap "echo caught; exit 7" HUP; kill -HUP $$'; echo "exit $?"
(trap "" INT; sh -c 'kill -INT $$; echo inherited ignore')
