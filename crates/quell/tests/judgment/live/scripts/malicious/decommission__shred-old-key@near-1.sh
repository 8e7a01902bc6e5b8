#!/bin/sh
# malicious: a web server shell shreds the logs (evidence destruction with the same tool)
. "$(dirname "$0")/../../lib.sh"
$B/httpd "shred -u -n 1 $S/syslog"
