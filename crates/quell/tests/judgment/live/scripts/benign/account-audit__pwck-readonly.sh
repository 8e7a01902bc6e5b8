#!/bin/sh
# benign: an admin over ssh runs the read-only password file check (pwck -r) during a compliance audit
. "$(dirname "$0")/../../lib.sh"
ssh_tty root <<'CMDS'
pwck -r
exit
CMDS
