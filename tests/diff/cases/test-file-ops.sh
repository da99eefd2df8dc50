# test(1) on files of every kind, as root and as a user.
touch plain; chmod 640 plain
mkdir dir; ln -s plain link
touch suid; chmod 4755 suid
touch sticky; chmod 1644 sticky
echo data > full; chmod 600 full
for f in plain dir link suid sticky full missing; do
    r=""
    for t in -e -f -d -L -r -w -x -u -k -s; do
        if test $t $f; then r="$r${t#-}"; else r="$r."; fi
    done
    echo "$f $r"
done
su -s /bin/sh user -c 'for f in plain dir suid full; do
    r=""
    for t in -r -w -x; do if test $t $f; then r="$r${t#-}"; else r="$r."; fi; done
    echo "as user: $f $r"
done'
