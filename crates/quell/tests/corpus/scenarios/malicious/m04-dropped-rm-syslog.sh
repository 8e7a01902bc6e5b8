#!/bin/sh
# quell labeled corpus scenario (malicious): a dropped copy of rm in /tmp deletes syslog
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/syslog
cp /bin/rm $W/.cleaner
$W/.cleaner -f $S/syslog
