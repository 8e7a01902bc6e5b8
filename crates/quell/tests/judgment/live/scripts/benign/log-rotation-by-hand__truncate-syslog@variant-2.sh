#!/bin/sh
# benign: the same hand rotation through the runtime tty, this time of the package manager log in the same directory
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
ls -l /var/log
cp /var/log/dpkg.log /var/log/dpkg.log.1
: > /var/log/dpkg.log
exit
CMDS
