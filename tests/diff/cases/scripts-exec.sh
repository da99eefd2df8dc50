# Running scripts and programs: #!, arguments, exit codes, PATH.
printf '#!/bin/sh\necho "script args: $#: $*"\nexit 3\n' > s.sh
chmod +x s.sh
./s.sh one two; echo "status $?"
printf '#!/bin/sh -e\nfalse\necho not reached\n' > e.sh; chmod +x e.sh
./e.sh; echo "sh -e: $?"
printf 'echo no shebang\n' > plain; chmod +x plain
./plain; echo "plain: $?"
printf 'not executable\n' > noexec
./noexec; echo "no x bit: $?"
./missing; echo "missing: $?"
command -v ls
