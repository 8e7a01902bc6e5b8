#!/bin/sh
# malicious: a web server request with a path traversal makes the worker open /srv/www/../../etc/passwd
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app httpd "read line < /srv/www/../../etc/passwd"
