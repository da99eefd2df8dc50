# Modes set by chmod, in numbers and letters.
touch f
for m in 0 644 600 755 4755 2755 1777 700 444; do
    chmod $m f
    stat -c '%a %A' f
done
chmod u+x,g-r,o= f && stat -c '%a' f
mkdir d && chmod 750 d && stat -c '%a %A' d
