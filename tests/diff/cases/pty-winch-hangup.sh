# SIGWINCH reaches the foreground job when the master changes the window size; closing the master hangs up the
# session (SIGHUP to the session leader).
cat > script <<'EOF'
winsize 24 80
expect ready\r\n
winsize 40 132
expect 40 132\r\n
close
wait
EOF
ptyrun script sh -c 'trap "echo winch; stty size" WINCH; trap "echo got SIGHUP >hup.txt; exit 3" HUP
echo ready; while :; do sleep 1; done'
cat hup.txt
