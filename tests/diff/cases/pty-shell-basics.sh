# An interactive shell on a pty: prompt, line editing's echo, the terminal's name, size and node, exit status.
cat > script <<'EOF'
winsize 24 80
expect $ 
send echo hello from the pty\n
expect $ 
send tty; stty size; [ -t 0 ] && echo stdin is a terminal\n
expect $ 
send stat -c '%F %t:%T %a %u' $(tty); stat -L -c '%t:%T %a' /proc/self/fd/0\n
expect $ 
send exit 3\n
wait
EOF
PS1='$ ' ptyrun script sh -i
echo "ptyrun: $?"
