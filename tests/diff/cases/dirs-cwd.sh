# The working directory, relative paths, .. and symlinked directories.
mkdir -p a/b
cd a/b && pwd | sed 's|.*/diff/||'
cd ../.. && pwd | sed 's|.*/diff/||'
ln -s a/b lnk
cd lnk && pwd | sed 's|.*/diff/||'
cd .. && pwd | sed 's|.*/diff/||'
cd -P lnk && pwd -P | sed 's|.*/diff/||'
cd /nonexistent; echo "cd missing: $?"
