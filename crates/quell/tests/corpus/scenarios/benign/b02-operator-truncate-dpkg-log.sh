#!/bin/sh
# quell labeled corpus scenario (benign): an operator empties dpkg.log from a terminal
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/dpkg.log
script -qec "truncate -s0 $S/dpkg.log" /dev/null
