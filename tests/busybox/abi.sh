#!/bin/sh
# The ABI conformance suite inside Basalt; cargo xtask test compares its lines with a native run on the host.
# Like a Linux init, mount what the host has: /proc, /sys and devtmpfs on /dev.
mkdir -p /proc /sys
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
cd /tmp && /bin/abi-tests
echo "abi-run: done"
poweroff -f
