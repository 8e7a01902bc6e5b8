#!/bin/sh
# quell labeled corpus scenario (benign): a backup job rotates its log with mv
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/backup.log
$B/rsync "mv $S/backup.log $S/backup.log.1"
