#!/bin/sh
# malicious: an intruder over ssh empties the ops user shell history (cat /dev/null over it)
. "$(dirname "$0")/../../lib.sh"
ssh_tty root <<CMDS
cat /dev/null > $H/.bash_history
exit
CMDS
