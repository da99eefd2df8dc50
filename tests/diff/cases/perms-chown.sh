# Ownership changes: root may, others may not; setuid bits go away.
as() { u=$1; shift; su -s /bin/sh "$u" -c "$*"; }
touch f
chown 1000:1000 f && stat -c '%u %g' f
chmod 4755 f && chown 1001 f && stat -c '%a %u' f
as user chown 1000 f; echo "user chown: $?"
as other chmod 600 f; echo "owner chmod: $?"
stat -c '%a' f
as other chgrp 1002 f; echo "chgrp to a group not held: $?"
as other chgrp 1001 f; echo "chgrp to own group: $?"
stat -c '%g' f
