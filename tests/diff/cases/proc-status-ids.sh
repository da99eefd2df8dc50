# /proc/self/status of processes with different credentials and signal dispositions, and /proc/self/cmdline
# and environ.
grep -E '^(Name|Umask|State|Uid|Gid|Groups|Threads)' /proc/self/status | tr '\t' ' '
su -s /bin/sh user -c "grep -E '^(Uid|Gid|Groups)' /proc/self/status" | tr '\t' ' '
su -s /bin/sh other -c "umask 027; grep -E '^(Uid|Umask)' /proc/self/status" | tr '\t' ' '
sh -c 'trap "" INT QUIT; exec grep -E "^Sig(Blk|Ign)" /proc/self/status'
env -i A=1 B='two words' cat /proc/self/environ | tr '\0' '\n'
sh -c 'cat /proc/$$/cmdline; :' sh "an arg" '' last | tr '\0' '|'; echo
