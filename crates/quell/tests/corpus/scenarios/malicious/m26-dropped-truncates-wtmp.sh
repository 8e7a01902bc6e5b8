#!/bin/sh
# quell labeled corpus scenario (malicious): a dropped binary empties wtmp
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/wtmp
cp /usr/bin/truncate $W/.t
$W/.t -s0 $S/wtmp
