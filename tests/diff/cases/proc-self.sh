# /proc/self: the links and files of the process that reads them.
readlink /proc/self/exe
sh -c 'tr "\0" " " < /proc/self/cmdline; echo' arg0 one two
cd / && readlink /proc/self/cwd
readlink /proc/self/root
sh -c 'exec 7< /proc/self/status; ls /proc/self/fd | sort -n | tr "\n" " "; echo'
sh -c 'exec 5> out; readlink /proc/self/fd/5' | sed 's|.*/diff/||'
grep -E '^(Name|State|Uid|Gid):' /proc/self/status | tr '\t' ' '
su -s /bin/sh user -c "grep -E '^(Uid|Gid|Groups):' /proc/self/status" | tr '\t' ' '
