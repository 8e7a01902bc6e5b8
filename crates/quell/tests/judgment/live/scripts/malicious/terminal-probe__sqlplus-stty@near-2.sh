#!/bin/sh
# malicious: in the same ssh terminal, sqlplus HOST runs a credential search instead of a terminal probe
. "$(dirname "$0")/../../lib.sh"
ssh_tty root <<CMDS
$B/sqlplus 'grep -rl "BEGIN OPENSSH PRIVATE" $H 2>/dev/null'
exit
CMDS
