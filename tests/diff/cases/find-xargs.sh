# find and xargs over a tree.
mkdir -p src/a src/b/c
for f in src/x.txt src/a/y.txt src/b/z.log src/b/c/w.txt; do seq 1 $(( ${#f} )) > $f; done
find src -name '*.txt' | sort
find src -name '*.txt' | sort | xargs wc -l
find src -type f | sort | xargs -n 1 basename
find src -type f -name '*.log' -exec cat {} \; | wc -l
find src -size -1k -type f | sort
