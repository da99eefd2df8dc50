# SCM_RIGHTS: an open file passed between processes keeps its offset, arrives as new descriptors, and a bad
# descriptor is refused.
printf 'abcdefghij' > data
unixtool passfd data
su -s /bin/sh user -c 'unixtool passfd data'
