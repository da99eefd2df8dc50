# A named pipe between a writer and a reader.
mkfifo p
stat -c '%F' p
(seq 1 5 > p) &
cat p
wait
(echo one; echo two) > p &
{ read a; read b; } < p
echo "read $a, $b"
wait
exec 3<> p
echo through >&3
read c <&3; echo "read-write open: $c"
