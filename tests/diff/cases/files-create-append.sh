# Creating, appending and overwriting a file.
echo one > f
echo two >> f
printf 'three\n' >> f
cat f
wc -c f
echo replaced > f
cat f
wc -l < f
