#!/bin/sh
# benign: the nightly cron backup: cron -> sh -c tar of /etc (shadow included) and the ops home, then an upload to the backup server (loopback)
. "$(dirname "$0")/../../lib.sh"
$B/cron "tar czf $W/host-etc-2026-12-04.tgz /etc/shadow /etc/passwd /etc/group $H 2>/dev/null; curl -sf -T $W/host-etc-2026-12-04.tgz http://127.0.0.1:8000/backups/host-etc-2026-12-04.tgz -o /dev/null"
