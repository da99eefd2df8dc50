# Terminal settings of a pty: the defaults `stty -a` shows, no echo with -echo, character-at-a-time input with
# -icanon, and ONLCR/ICRNL translation (carriage returns show as ^M).
cat > script <<'EOF'
winsize 30 100
expect $ 
send stty -a\n
expect $ 
send stty -echo; (echo ready; exec head -n 1)\n
expect ready\r\n
send secret\n
expect secret\r\n
expect $ 
send stty echo -icanon min 1; (echo ready; exec dd bs=1 count=3 2>/dev/null); echo; stty icanon\n
expect ready\r\n
send xyz
expect $ 
send stty -onlcr; echo no cr; stty onlcr; echo cr\n
expect $ 
send stty -icrnl; (echo ready; exec head -c 4 | od -An -c)\n
expect ready\r\n
send ab\r\x04\x04
expect $ 
send stty sane; exit\n
wait
EOF
PS1='$ ' ptyrun script sh -i
