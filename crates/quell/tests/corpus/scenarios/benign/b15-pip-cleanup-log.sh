#!/bin/sh
# quell labeled corpus scenario (benign): pip removes its rotated install log
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/pip.log.1
$B/pip "rm -f $S/pip.log.1"
