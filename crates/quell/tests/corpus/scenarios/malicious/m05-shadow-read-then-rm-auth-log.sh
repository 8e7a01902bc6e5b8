#!/bin/sh
# quell labeled corpus scenario (malicious): credentials read, then auth.log deleted
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/auth.log
cat /etc/shadow > /dev/null
rm -f $S/auth.log
