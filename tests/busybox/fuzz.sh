#!/bin/sh
# A short syscall-fuzzer run: the kernel must survive it (no panic, no hang) and the machine still works after.
cd /tmp && /bin/sysfuzz --seconds ${FUZZ_SECONDS:-5} --procs 4
echo "after fuzz: $(echo still | wc -c) bytes"
echo "fuzz: done"
poweroff -f
