#!/bin/sh
# quell labeled corpus scenario (benign): an operator rotates an application log by hand (mv to .1)
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/app.log
script -qec "mv $S/app.log $S/app.log.1" /dev/null
