#!/bin/sh
# malicious: an attacker at the runtime tty uses nsenter from inside the container to join another process namespaces
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
nsenter -t 1 -m -u -- true
exit
CMDS
