# socketpair(2) of each type: unnamed ends, FIONREAD, message boundaries (kept by datagram and seqpacket, merged
# by stream), shutdown, EPIPE and the state poll reports after the peer closed.
for type in stream seqpacket dgram; do
    echo "== $type"
    unixtool pair $type
done
