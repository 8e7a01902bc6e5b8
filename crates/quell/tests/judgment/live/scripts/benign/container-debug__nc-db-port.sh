#!/bin/sh
# benign: an operator at the runtime tty of an app container checks that the database port answers (nc -z)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
nc -z -w 2 127.0.0.1 8000 && echo open
exit
CMDS
