#!/bin/sh
# quell labeled corpus scenario (benign): an operator compresses a rotated log (gzip unlinks the original)
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
echo x > $S/app.log.1
script -qec "gzip -f $S/app.log.1" /dev/null
