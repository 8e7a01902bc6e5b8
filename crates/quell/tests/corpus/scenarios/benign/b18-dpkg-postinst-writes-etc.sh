#!/bin/sh
# quell labeled corpus scenario (benign): a dpkg maintainer script writes its configuration below /etc
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
$B/dpkg "echo conf=1 > $E/pkg.conf"
