#!/bin/sh
# malicious: a web server shell searches for cloud secrets (grep -ri aws_secret_access_key over home dirs)
. "$(dirname "$0")/../../lib.sh"
$B/httpd "grep -ri aws_secret_access_key $H /root/.aws 2>/dev/null"
