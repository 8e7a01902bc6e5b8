#!/bin/sh
# malicious: a long-running web server worker (lighttpd), well after its start, opens /etc/shadow itself (an exploited worker)
. "$(dirname "$0")/../../lib.sh"
$B/lighttpd "sleep 6; read line < /etc/shadow"
