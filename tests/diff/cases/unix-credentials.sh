# SO_PEERCRED and SCM_CREDENTIALS as root and as a non-root user: only root may claim other ids.
unixtool creds
su -s /bin/sh user -c 'unixtool creds'
unixtool serve peer 1
chmod 666 peer
su -s /bin/sh user -c 'unixtool connect peer "from user"'
