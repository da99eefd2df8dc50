# AF_UNIX errors, named the same under both kernels: missing paths and directories, a path that is not a
# socket, a socket nobody listens on, a name in use, wrong types, and permissions as a non-root user.
unixtool connect missing x
unixtool bind nodir/sock
echo file > plain
unixtool connect plain x
unixtool bind plain
unixtool bind quiet
unixtool connect quiet x
unixtool serve listening 1 seqpacket
unixtool connect listening x stream
unixtool connect listening x seqpacket
unixtool bind dg dgram
unixtool connect dg x
mkdir locked && chmod 700 locked && unixtool bind locked/sock
chmod 755 locked
su -s /bin/sh user -c 'unixtool bind locked/sock2'
unixtool serve open 1
chmod 600 open
su -s /bin/sh user -c 'unixtool connect open x'
chmod 666 open
su -s /bin/sh user -c 'unixtool connect open "as user"'
