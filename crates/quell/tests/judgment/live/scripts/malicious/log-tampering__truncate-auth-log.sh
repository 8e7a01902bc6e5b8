#!/bin/sh
# malicious: a web shell empties the auth log to hide a login
. "$(dirname "$0")/../../lib.sh"
printf 'Dec  1 06:25:01 host sshd[811]: Accepted publickey for root\n' > $S/auth.log
$B/httpd ": > $S/auth.log"
