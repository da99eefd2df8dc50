# Exit statuses of pipelines and closed readers.
false | true; echo "last: $?"
true | false; echo "last: $?"
yes | head -1
seq 1 100000 | head -1; echo "early close: $?"
