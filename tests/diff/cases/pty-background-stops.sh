# Background jobs of a job-control shell on a pty: reading stops them with SIGTTIN, writing with TOSTOP set and
# changing the terminal's settings stop them with SIGTTOU (unless SIGTTOU is ignored); fg continues them.
cat > script <<'EOF'
winsize 24 80
wait
EOF
ptyrun script sh -c '
set -m
cat & wait $!; echo "wait: $?"
jobs; kill -KILL %1; wait
stty tostop
(echo out) & wait $!; echo "wait: $?"
stty -tostop
fg; echo "fg: $?"
(trap "" TTOU; stty tostop; echo ignored) & wait $!; echo "wait: $?"
(stty -echo) & wait $!; echo "wait: $?"
jobs; kill -KILL %3; wait
stty -tostop
echo done'
