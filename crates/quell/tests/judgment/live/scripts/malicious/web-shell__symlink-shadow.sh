#!/bin/sh
# malicious: a web shell symlinks /etc/shadow into the web root to read it over http
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app httpd "ln -s /etc/shadow /srv/www/robots.txt && head -c 0 /srv/www/robots.txt"
