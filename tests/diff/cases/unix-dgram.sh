# AF_UNIX datagram sockets: each send is one message, senders' names show, a short buffer truncates, connected
# and unconnected sends, and refusals once the receiver is gone.
unixtool dgram rx
ls
unixtool dgram @basalt-diff-dgram
