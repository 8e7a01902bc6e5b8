#!/bin/sh
# benign: an operator archives and empties the package log with cp /dev/null through the runtime tty
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
gzip -c /var/log/dpkg.log > /var/log/dpkg.log.1.gz
cp /dev/null /var/log/dpkg.log
ls -l /var/log
exit
CMDS
