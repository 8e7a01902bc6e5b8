#!/bin/sh
# benign: the same operator check of the collector port
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
nc -z -w 2 127.0.0.1 8086 && echo open
exit
CMDS
