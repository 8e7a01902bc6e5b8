#!/bin/sh
# quell labeled corpus scenario (malicious): a dropped copy of strace attaches to a process
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
sleep 3 &
V=$!
cp /usr/bin/strace $W/.st
timeout 1 $W/.st -p $V -o /dev/null
kill $V 2>/dev/null
