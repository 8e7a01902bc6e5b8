#!/bin/sh
# malicious: a web server shell attaches strace to another process to snoop on its reads (credential sniffing)
. "$(dirname "$0")/../../lib.sh"
sleep 30 &
VICTIM=$!
$B/httpd "timeout 1 strace -f -e trace=read -p $VICTIM -o /tmp/.t; rm -f /tmp/.t"
kill $VICTIM; wait $VICTIM 2>/dev/null
