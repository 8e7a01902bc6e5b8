#!/bin/sh
# quell labeled corpus scenario (benign): an apt hook empties apt's history.log
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
mkdir -p $S/apt; touch $S/apt/history.log
$B/apt-get ": > $S/apt/history.log"
