# Making and removing directories, and the errors on the way.
mkdir -p a/b/c
mkdir a; echo "mkdir existing: $?"
rmdir a; echo "rmdir non-empty: $?"
rmdir a/b/c a/b a; echo "rmdir chain: $?"
ls -a
mkdir x/y; echo "mkdir missing parent: $?"
touch file
mkdir file/sub; echo "mkdir under a file: $?"
rmdir file; echo "rmdir a file: $?"
