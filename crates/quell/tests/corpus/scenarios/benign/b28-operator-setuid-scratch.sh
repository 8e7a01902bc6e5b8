#!/bin/sh
# quell labeled corpus scenario (benign): an operator sets the setuid bit on a scratch helper
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
cp /bin/true $W/helper
script -qec "chmod u+s $W/helper" /dev/null
