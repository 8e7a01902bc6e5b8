#!/bin/sh
# quell labeled corpus scenario (malicious): a web shell installs a cron job
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
$B/httpd "echo '* * * * * root sh -c true' > /etc/cron.d/quell-corpus-evil"
rm -f /etc/cron.d/quell-corpus-evil
