#!/bin/sh
# quell labeled corpus scenario (malicious): an attacker with a terminal reads /etc/shadow, then empties wtmp
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/wtmp
script -qec "cat /etc/shadow > /dev/null; : > $S/wtmp" /dev/null
