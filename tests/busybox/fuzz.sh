#!/bin/sh
# A syscall-fuzzer run: the kernel must survive it (no panic, no hang) and the machine still works after.
# FUZZ_SECONDS, FUZZ_PROCS and FUZZ_SEED come from the kernel command line (`cargo xtask fuzz` sets them).
cd /tmp && /bin/sysfuzz --seconds ${FUZZ_SECONDS:-5} --procs ${FUZZ_PROCS:-4} --seed ${FUZZ_SEED:-0x5eed}
echo "after fuzz: $(echo still | wc -c) bytes"
echo "fuzz: done"
poweroff -f
