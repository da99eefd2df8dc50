#!/bin/sh
# Runs every differential scenario (cases/*.sh) the same way under Linux and under Basalt: each in a fresh
# directory, stdout and stderr together, between markers that `cargo xtask test` uses to compare the two runs.
export PATH=/bin HOME=/root LC_ALL=C
umask 022
# Linux leaves /dev to init (the initramfs has only /dev/console); Basalt provides its device nodes itself.
[ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev
# Like any init, mount /proc and /sys (neither kernel does it by itself).
mkdir -p /proc /sys
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# And the pty slaves' filesystem, which Linux's /dev/ptmx needs.
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
for script in /diff/cases/*.sh; do
    name=${script##*/}
    name=${name%.sh}
    dir=/tmp/diff/$name
    mkdir -p "$dir"
    echo "=== begin $name"
    # Output goes to a file first, so that it is not a terminal under either kernel (programs format differently for
    # one). A scenario that hangs is killed after a minute (exit 137), so the others still run.
    (cd "$dir" && timeout -s KILL 60 sh "$script" </dev/null >/tmp/diff/output 2>&1)
    status=$?
    cat /tmp/diff/output
    echo "=== end $name: exit $status"
    cd / && rm -rf "$dir"
done
echo "=== diff: done"
sync
poweroff -f
