# Subshells, command substitution and variables.
x=outer
(x=inner; echo $x)
echo $x
echo "$(echo nested $(echo deeper))"
(cd / && pwd)
n=0; for i in 1 2 3; do n=$((n+i)); done; echo $n
set -- a b c; echo $# "$@"
f() { echo "in f: $1"; return 3; }; f arg; echo "f: $?"
(exit 7); echo "subshell exit: $?"
