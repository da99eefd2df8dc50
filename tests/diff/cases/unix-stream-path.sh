# AF_UNIX stream sockets bound to a path: the socket file, connections with data both ways, the peer's name and
# credentials, and what happens to the path afterwards.
unixtool serve srv 2
stat -c '%F %a' srv
ls -l srv | cut -c1-10
unixtool connect srv 'hello, server'
unixtool connect "$PWD/srv" ''
[ -S srv ] && echo still a socket
rm srv && echo removed
unixtool connect srv again
echo "exit $?"
umask 077; unixtool bind private; stat -c '%a' private
umask 022; unixtool bind private
