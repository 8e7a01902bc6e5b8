#!/bin/sh
# quell labeled corpus scenario (benign): the backup agent reads an SSH key to back it up
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
mkdir -p $H/.ssh; echo key > $H/.ssh/id_ed25519
$B/restic "cat $H/.ssh/id_ed25519"
