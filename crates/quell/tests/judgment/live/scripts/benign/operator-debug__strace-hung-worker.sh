#!/bin/sh
# benign: an admin over ssh attaches strace to a hung worker process (started for the scenario) to see where it blocks
. "$(dirname "$0")/../../lib.sh"
sleep 30 &
WORKER=$!
ssh_tty root <<CMDS
timeout 1 strace -f -p $WORKER -e trace=none
exit
CMDS
kill $WORKER; wait $WORKER 2>/dev/null
