#!/bin/sh
# quell labeled corpus scenario (benign): a package query/install step, then cleanup of apt's term.log
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
mkdir -p $S/apt; touch $S/apt/term.log
dpkg -l >/dev/null 2>&1
apt-get -v >/dev/null
rm -f $S/apt/term.log
