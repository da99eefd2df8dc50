# rename and unlink with several names for one file.
echo body > a
ln a b; ln a c
stat -c '%h' a
mv b d
stat -c '%h' a
mv c a; echo "rename onto a link of itself: $?"
stat -c '%h' a
ls | sort
rm a d; ls | wc -l
