#!/bin/sh
# quell labeled corpus scenario (malicious): a web shell plants a binary in /usr/local/bin
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
$B/httpd "cp /bin/true /usr/local/bin/quell-corpus-evil"
rm -f /usr/local/bin/quell-corpus-evil
