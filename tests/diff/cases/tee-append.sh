# tee to several files, and appends from concurrent writers.
seq 1 5 | tee t1 t2 > t3
cat t1 t2 t3 | md5sum
echo more | tee -a t1 > /dev/null
tail -1 t1
(for i in $(seq 1 300); do echo "writer-a line $i"; done >> shared) &
(for i in $(seq 1 300); do echo "writer-b line $i"; done >> shared) &
wait
wc -l < shared
sed 's/ line [0-9]*//' shared | sort | uniq -c
