# Abstract AF_UNIX names: no file appears, names are released when the socket closes, two binds of one live name
# clash.
unixtool serve @basalt-diff-abstract 1
ls
unixtool connect @basalt-diff-abstract 'to an abstract name'
unixtool bind @basalt-diff-abstract-2
unixtool bind @basalt-diff-abstract-2
unixtool serve @basalt-diff-abstract-3 1
unixtool bind @basalt-diff-abstract-3
echo "bind: exit $?"
unixtool connect @basalt-diff-abstract-3 last
unixtool connect @basalt-diff-never-bound x
echo "connect: exit $?"
