#!/bin/sh
# Test programs: std::thread (static and dynamic musl), a static glibc program.
/bin/thread-test
/bin/thread-test-dynamic
/bin/hello-glibc
echo "programs: done"
poweroff -f
