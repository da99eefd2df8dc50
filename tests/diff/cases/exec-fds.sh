# Descriptors inherited across fork and exec, and redirections of numbered descriptors.
exec 5> five
sh -c 'echo child writes fd 5 >&5'
exec 5>&-
cat five
exec 6< five
read line <&6; echo "read back: $line"
exec 6<&-
sh -c 'echo to fd 7 >&7' 7> seven; cat seven
sh -c 'echo closed >&8'; echo "unopened fd: $?"
