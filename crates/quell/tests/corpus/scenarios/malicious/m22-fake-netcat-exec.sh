#!/bin/sh
# quell labeled corpus scenario (malicious): netcat started with -e /bin/sh
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
cp /bin/true $W/nc
$W/nc -e /bin/sh 127.0.0.1 4444
