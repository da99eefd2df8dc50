# diff and patch on generated files.
seq 1 20 > old
seq 1 20 | sed -e 's/^5$/five/' -e '/^12$/d' -e '$a\
twenty-one' > new
diff -u old new | tail -n +3
diff -u old new > p.diff
patch old < p.diff >/dev/null && cmp old new && echo patched
diff old old; echo "same files: $?"
