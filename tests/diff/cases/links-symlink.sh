# Symbolic links: reading, resolving, dangling, relative.
echo target > t
ln -s t s
readlink s
cat s
ln -s missing dangling
cat dangling; echo "dangling: $?"
readlink dangling
mkdir d
ln -s ../t d/up
cat d/up
stat -c '%F' s t d
ln -s t s; echo "existing: $?"
ln -sf d s2 && readlink s2
