# Symlink loops end with ELOOP.
ln -s a b
ln -s b a
cat a; echo "loop: $?"
ln -s self self
cat self; echo "self: $?"
