#!/bin/sh
# quell labeled corpus scenario (benign): an operator empties a full application log
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/app.log
script -qec ": > $S/app.log" /dev/null
