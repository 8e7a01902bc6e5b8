#!/bin/sh
# benign: the same hand rotation of the syslog on another day in another container (next rotation number)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
ls -l /var/log
cp /var/log/syslog /var/log/syslog.2
: > /var/log/syslog
exit
CMDS
