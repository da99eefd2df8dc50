# Mounting tmpfs with a size, bind mounts, and unmounting.
mkdir m b
mount -t tmpfs -o size=64k tmp m
grep " $(pwd)/m " /proc/mounts | awk '{print $1, $3}'
dd if=/dev/zero of=m/fill bs=1k count=128 2>&1 | tail -1
touch m/f
mount --bind m b
ls b | sort
umount m; echo "umount while bound elsewhere: $?"
ls b | sort
umount b
cd m; umount ../m 2>&1 | sed 's/.*: //'; cd ..
umount m; echo "after leaving: $?"
ls m | wc -l
