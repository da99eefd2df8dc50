# Several background jobs finishing in a known order.
(sleep 0.3; echo third) &
(sleep 0.2; echo second) &
(sleep 0.1; echo first) &
wait
echo all done
for i in 1 2 3 4 5; do (echo job $i > out.$i) & done
wait
cat out.1 out.2 out.3 out.4 out.5
