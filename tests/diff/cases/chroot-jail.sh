# chroot into a small tree with busybox.
mkdir -p jail/bin jail/tmp
cp /bin/busybox jail/bin/
ln -s busybox jail/bin/sh; ln -s busybox jail/bin/ls; ln -s busybox jail/bin/pwd; ln -s busybox jail/bin/cat
echo inside > jail/marker
chroot jail /bin/sh -c 'pwd; ls /; cat /marker; cd ..; pwd; ls /'
su -s /bin/sh user -c "chroot $PWD/jail /bin/sh -c true" 2>&1 | sed 's/.*: //'
