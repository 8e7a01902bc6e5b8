#!/bin/sh
# benign: an operator rotates the syslog by hand through the runtime's tty (docker exec -it): copies it aside, empties it
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
ls -l /var/log
tail -n 1 /var/log/syslog
cp /var/log/syslog /var/log/syslog.1
: > /var/log/syslog
exit
CMDS
