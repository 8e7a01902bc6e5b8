#!/bin/sh
# quell labeled corpus scenario (malicious): a dropped binary writes below /etc
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
cp /bin/cp $W/.cp
$W/.cp /etc/hostname $E/evil.conf
