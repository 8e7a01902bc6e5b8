#!/bin/sh
# quell labeled corpus scenario (benign): an operator searches configuration for a password setting
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
mkdir -p $W/conf; echo "password_min_len=12" > $W/conf/app.ini
script -qec "grep -r password $W/conf" /dev/null
