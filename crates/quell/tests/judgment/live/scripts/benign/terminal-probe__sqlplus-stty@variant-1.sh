#!/bin/sh
# benign: the same sqlplus session probing the terminal size with stty size
. "$(dirname "$0")/../../lib.sh"
ssh_tty root <<CMDS
$B/sqlplus 'stty size; stty -echo; stty echo'
exit
CMDS
