#!/bin/sh
# quell labeled corpus scenario (benign): dpkg prunes alternatives.log
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/alternatives.log
$B/dpkg "rm -f $S/alternatives.log"
