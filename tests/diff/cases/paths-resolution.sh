# Resolving paths: realpath, readlink -f, .. through symlinks, trailing slashes.
mkdir -p a/b/c
ln -s a/b l1
ln -s l1/c l2
ln -s ../.. a/b/c/up
realpath l2 | sed 's|.*/diff/||'
readlink -f l2/up | sed 's|.*/diff/||'
readlink -f a/b/../b/./c | sed 's|.*/diff/||'
cd l2 && pwd | sed 's|.*/diff/||' && cd - >/dev/null
ls -d a/b/ l1/ | sort
touch file
ls file/; echo "file with slash: $?"
cat a/b/c/up/b/c/../../b/c/up/a/b/c/up/file 2>/dev/null; echo "long walk: $?"
