# Hard links share data and count links.
echo data > a
ln a b
stat -c '%h %s' a b
echo more >> b
cat a
rm a
stat -c '%h' b
cat b
mkdir d
ln d d2; echo "hard link to a directory: $?"
