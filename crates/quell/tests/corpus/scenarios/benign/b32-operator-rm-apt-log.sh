#!/bin/sh
# quell labeled corpus scenario (benign): an operator removes apt's term.log after an upgrade
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
mkdir -p $S/apt; touch $S/apt/term.log
script -qec "rm -f $S/apt/term.log" /dev/null
