# truncate grows with zeros and shrinks.
printf 'abcdef' > f
truncate -s 10 f
wc -c < f
od -An -c f
truncate -s 3 f
cat f; echo
truncate -s 0 f
wc -c < f
