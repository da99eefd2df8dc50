# rename: replacing files and directories, and the refusals.
echo old > a; echo new > b
mv b a; cat a; ls
mkdir d1 d2; touch d2/f
mv d1 d2; echo "dir into non-empty: $?"; ls d2 | sort
mkdir e; mv e e/sub; echo "into itself: $?"
touch g; mkdir h; mv h g; echo "dir over file: $?"
mv g h 2>/dev/null; mv g h/; ls h
