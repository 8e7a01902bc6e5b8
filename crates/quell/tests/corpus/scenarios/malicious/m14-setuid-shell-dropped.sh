#!/bin/sh
# quell labeled corpus scenario (malicious): a copy of sh in /tmp gets the setuid bit and runs
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
cp /bin/sh $W/.sh
chmod u+s $W/.sh
$W/.sh -c true
