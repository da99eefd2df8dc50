# Directory listings and tree walks (sorted: directory order is the filesystem's own).
mkdir -p t/a t/b/c
touch t/1 t/a/2 t/b/3 t/b/c/4 t/.hidden
ls -1 t
ls -1A t
find t | sort
find t -type f | sort
find t -type d | sort
find t -name '[0-9]' -newer t/1 -o -name 1 | sort
du -a t >/dev/null && echo "du ok"
