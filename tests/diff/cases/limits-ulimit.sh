# Shell ulimits reach the kernel.
ulimit -n
(ulimit -n 8; exec 3</dev/null 4</dev/null 5</dev/null 6</dev/null 7</dev/null; echo opened; exec 8</dev/null; echo "fd 8 opened") 2>&1 | sed 's/.*: //'
(ulimit -f 1; dd if=/dev/zero of=big bs=1024 count=4 2>&1 | head -1) 
wc -c < big
ulimit -s
