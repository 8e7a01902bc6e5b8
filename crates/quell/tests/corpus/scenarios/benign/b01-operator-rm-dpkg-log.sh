#!/bin/sh
# quell labeled corpus scenario (benign): an operator deletes the package manager's log in an interactive session (the story)
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/dpkg.log
script -qec "rm $S/dpkg.log" /dev/null
