#!/bin/sh
# Runs as /init under Basalt (busybox scenario): shell features that need processes, pipes, signals and files.
echo "pipes: $(echo a b c | wc -w)"
(echo sub; exit 3); echo "subshell status: $?"
sleep 0.2 & echo "bg started"; wait; echo "waited"
sleep 5 & pid=$!; kill $pid; wait $pid; echo "killed: $?"
trap 'echo trapped USR1' USR1; kill -USR1 $$
x=$(echo cmdsub); echo "cmdsub: $x"
mkdir -p /tmp/d && cd /tmp/d && echo hello > f && cat f && ls && pwd
printf '3\n1\n2\n' | sort | xargs echo sorted:
find /tmp -name f
cd / && tar czf /tmp/t.tgz tmp/d && tar tzf /tmp/t.tgz
echo "busybox smoke: done"
poweroff -f
