# The standard character devices.
head -c 16 /dev/zero | od -An -tx1
cat /dev/null | wc -c
echo gone > /dev/null; echo "null: $?"
echo x > /dev/full; echo "full: $?"
head -c 64 /dev/urandom | wc -c
head -c 64 /dev/random | wc -c
