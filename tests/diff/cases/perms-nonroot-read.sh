# A user may read only what the mode bits allow.
as() { u=$1; shift; su -s /bin/sh "$u" -c "$*"; }
echo secret > private; chmod 600 private
echo open > public; chmod 644 public
as user cat public
as user cat private; echo "private: $?"
chmod 604 private
as user cat private
chmod 640 private; chgrp 1000 private
as other cat private; echo "other group: $?"
as user cat private
chgrp 1002 private
as user cat private; echo "supplementary group: $?"
