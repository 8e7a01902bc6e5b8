#!/bin/sh
# benign: the next night of the same cron backup (another date in the archive name)
. "$(dirname "$0")/../../lib.sh"
$B/cron "tar czf $W/host-etc-2026-12-05.tgz /etc/shadow /etc/passwd /etc/group $H 2>/dev/null; curl -sf -T $W/host-etc-2026-12-05.tgz http://127.0.0.1:8000/backups/host-etc-2026-12-05.tgz -o /dev/null"
