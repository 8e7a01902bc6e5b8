#!/bin/sh
# benign: the same archive and cp /dev/null of the package log, next rotation number, another container
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
gzip -c /var/log/dpkg.log > /var/log/dpkg.log.2.gz
cp /dev/null /var/log/dpkg.log
exit
CMDS
