# rm and its messages.
rm -f nothing; echo "rm -f missing: $?"
rm nothing; echo "rm missing: $?"
mkdir d; rm d; echo "rm dir: $?"
rm -r d; echo "rm -r: $?"
touch ro; chmod 444 ro; rm -f ro; echo "read-only: $?"
