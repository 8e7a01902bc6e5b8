#!/bin/sh
# quell labeled corpus scenario (benign): the backup agent prunes its rotated log
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/restic.log.1
$B/restic "rm -f $S/restic.log.1"
