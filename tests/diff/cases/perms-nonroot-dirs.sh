# Directory permissions: search, write, and the sticky bit.
as() { u=$1; shift; su -s /bin/sh "$u" -c "$*"; }
mkdir locked && chmod 700 locked && echo x > locked/f
as user cat locked/f; echo "search denied: $?"
as user touch locked/g; echo "create denied: $?"
chmod 711 locked
as user cat locked/f; echo "search only, file 644: $?"
as user ls locked; echo "list denied: $?"
mkdir shared && chmod 1777 shared
as user 'echo mine > shared/u1'
as other rm -f shared/u1; echo "sticky: $?"
as user rm shared/u1; echo "owner removes: $?"
mkdir open && chmod 777 open
as user 'echo a > open/f'
as other rm -f open/f; echo "no sticky: $?"
