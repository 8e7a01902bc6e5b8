#!/bin/sh
# malicious: a web shell on the host reads /etc/shadow with cat (httpd -> sh -c cat)
. "$(dirname "$0")/../../lib.sh"
$B/httpd "cat /etc/shadow > /dev/null"
