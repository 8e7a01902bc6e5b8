#!/bin/sh
# benign: the same strace attach, another worker and another syscall filter
. "$(dirname "$0")/../../lib.sh"
sleep 30 &
WORKER=$!
ssh_tty root <<CMDS
timeout 1 strace -p $WORKER -e trace=read,write
exit
CMDS
kill $WORKER; wait $WORKER 2>/dev/null
