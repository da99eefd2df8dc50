#!/bin/sh
# Runs as /init under Basalt (busybox scenario): mounts /proc, /sys and devtmpfs as an init does, then busybox's
# ps, free, uptime, top, mount, df, umount and chroot read and change them.
mkdir -p /proc /sys /tmp/m /tmp/j/bin
mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t devtmpfs devtmpfs /dev && echo "mounted: ok"
mount -t tmpfs -o size=1m none /tmp/m
mount
ps
free
uptime
top -b -n 1 | head -4
df /tmp/m
echo "self: $(readlink /proc/self)" > /dev/null
echo "stat pid matches: $([ "$(cut -d' ' -f1 /proc/$$/stat)" = "$$" ] && echo yes)"
echo "exe: $(readlink /proc/$$/exe)"
ls /sys/class/tty
cat /sys/devices/system/cpu/online
umount /tmp/m && echo "umount: ok"
cp /bin/busybox /tmp/j/bin/ && echo "chroot pwd: $(chroot /tmp/j /bin/busybox pwd)"
echo "procfs: done"
poweroff -f
