# awk, sed, tr, cut, grep on generated text.
seq 1 30 > n
sed -n '5,8p' n
sed 's/1/one/g' n | head -12 | tail -3
awk 'NR%7==0 {print NR, $1*$1}' n
tr '0-9' 'a-j' < n | tail -2
seq 1 5 | sed 's/$/:x:y/' | cut -d: -f1,3
grep -c 1 n
grep -E '^(2|3)[05]$' n
printf 'Hello World\n' | tr 'a-z' 'A-Z' | rev
