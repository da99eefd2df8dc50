# Environment and arguments passed through exec.
env -i A=1 B=two /bin/sh -c 'env | sort'
env -i /bin/sh -c 'echo "[$HOME]"'
FOO=bar sh -c 'echo $FOO'
sh -c 'echo $0 $1 $2' zero one two
xargs -n 2 echo <<END
a b c d e
END
