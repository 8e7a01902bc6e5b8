#!/bin/sh
# quell labeled corpus scenario (malicious): a web shell deletes dpkg.log directly
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/dpkg.log
$B/httpd "rm -f $S/dpkg.log"
