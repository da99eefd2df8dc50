# cp, mv, cmp between files and directories.
seq 1 500 > a
cp a b
cmp a b && echo same
echo extra >> b
cmp a b; echo "cmp: $?"
mkdir d
mv b d/
ls d
mv d/b d/c
ls d
cp -r d e
ls e
