# Identity as seen by programs run as other users.
id
su -s /bin/sh user -c id
su -s /bin/sh user -c 'id -G'
su -s /bin/sh other -c whoami
su -s /bin/sh user -c 'echo $HOME $USER'
