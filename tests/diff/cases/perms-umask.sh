# The umask applies to new files and directories.
for u in 022 027 077 000; do
    umask $u
    touch f$u
    mkdir d$u
    stat -c '%a' f$u d$u
done
umask
