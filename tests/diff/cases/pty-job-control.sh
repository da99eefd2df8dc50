# Job control through a pty: ^C kills the foreground job, ^Z stops it, `jobs` and `fg` bring it back, ^D ends
# its input. Input is sent only once the job has shown it runs (the subshell's `ready`).
cat > script <<'EOF'
winsize 24 80
expect $ 
send (echo ready; exec sleep 100)\n
expect ready\r\n
send \x03
expect $ 
send echo status $?\n
expect $ 
send (echo ready; exec cat)\n
expect ready\r\n
send one\n
expect one\r\none\r\n
send \x1a
expect $ 
send jobs; echo status $?\n
expect $ 
send fg\n
expect cat)\r\n
send two\n
expect two\r\ntwo\r\n
send \x04
expect $ 
send echo status $?; jobs\n
expect $ 
send (echo ready; exec sleep 100)\n
expect ready\r\n
send \x1c
expect $ 
send echo status $?\n
expect $ 
send exit\n
wait
EOF
PS1='$ ' ptyrun script sh -i
