#!/bin/sh
# quell labeled corpus scenario (benign): an operator traces a command with strace
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
script -qec "strace -f -o /dev/null true" /dev/null
