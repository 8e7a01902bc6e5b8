#!/bin/sh
# quell labeled corpus scenario (benign): apt-get runs, then dpkg.log is emptied
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/dpkg.log
apt-get -v >/dev/null
: > $S/dpkg.log
