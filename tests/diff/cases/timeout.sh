# timeout and sleep.
timeout 1 sleep 5; echo "timeout: $?"
timeout 5 true; echo "quick: $?"
sleep 0.1; echo slept
