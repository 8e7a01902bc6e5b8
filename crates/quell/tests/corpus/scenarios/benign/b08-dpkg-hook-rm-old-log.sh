#!/bin/sh
# quell labeled corpus scenario (benign): a dpkg maintainer hook removes an old log
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/dpkg.log.1
$B/dpkg "rm -f $S/dpkg.log.1"
