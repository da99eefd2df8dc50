# mktemp makes unique files and directories with the template's shape.
f=$(mktemp -p . tmp.XXXXXX) && test -f "$f" && echo "file made"
d=$(mktemp -d -p . dir.XXXXXXXX) && test -d "$d" && echo "dir made"
echo "${#f} ${#d}"
stat -c '%a' "$f" "$d"
for i in 1 2 3 4 5 6 7 8; do mktemp -p . n.XXXXXX; done | sort -u | wc -l
