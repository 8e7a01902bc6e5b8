#!/bin/sh
# quell labeled corpus scenario (benign): package installation followed by removal of apt's rotated log
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
mkdir -p $S/apt; touch $S/apt/eipp.log.xz
apt-get -v >/dev/null
rm -f $S/apt/eipp.log.xz
