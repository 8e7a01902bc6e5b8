#!/bin/sh
# quell labeled corpus scenario (malicious): a kernel module load attempt with a downloaded file
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
head -c 64 /dev/urandom > $W/rk.ko
insmod $W/rk.ko 2>/dev/null; true
