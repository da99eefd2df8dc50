# Redirections: files, descriptors, here-documents.
echo out > o 2> e
ls missing > o2 2>&1; echo "status $?"
cat o2
exec 3> fd3
echo via three >&3
exec 3>&-
cat fd3
cat <<END
here $((1+2))
END
cat <<'END'
literal $((1+2))
END
cat < o
echo a >> o; echo b 1>> o; cat o
{ echo grouped; echo lines; } > g; cat g
