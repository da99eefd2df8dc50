# renice: anyone may raise their own niceness, only root may lower it.
renice -n 5 -p $$ >/dev/null; echo "root raise: $?"
renice -n -5 -p $$ >/dev/null; echo "root lower: $?"
su -s /bin/sh user -c 'renice -n 3 -p $$ >/dev/null 2>&1; echo "user raise: $?"; renice -n -3 -p $$ >/dev/null 2>&1; echo "user lower: $?"'
su -s /bin/sh user -c 'renice -n 1 -p 1 >/dev/null 2>&1; echo "user renices init: $?"'
