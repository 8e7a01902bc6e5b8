#!/bin/sh
# quell labeled corpus scenario (benign): systemd-tmpfiles removes an old rotated log
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/old.log.7
$B/systemd-tmpfile "rm -f $S/old.log.7"
