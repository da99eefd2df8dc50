# Pipelines of text filters.
seq 1 1000 | sort -rn | head -5
seq 1 100 | awk '{s+=$1} END {print s}'
printf 'b\na\nc\na\nb\na\n' | sort | uniq -c | sort -rn
seq 1 20 | paste - - - -
