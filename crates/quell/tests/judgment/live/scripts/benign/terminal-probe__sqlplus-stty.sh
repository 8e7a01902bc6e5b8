#!/bin/sh
# benign: an admin over ssh runs sqlplus, which probes and sets the terminal through sh -c (stty -echo for the password prompt, tput cols)
. "$(dirname "$0")/../../lib.sh"
ssh_tty root <<CMDS
$B/sqlplus 'stty -echo; stty echo; tput cols'
exit
CMDS
