#!/bin/sh
# quell labeled corpus scenario (benign): unattended-upgrades prunes its old logs
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
mkdir -p $S/unattended-upgrades; touch $S/unattended-upgrades/unattended-upgrades-dpkg.log.3.gz
$B/unattended-upgr "rm -f $S/unattended-upgrades/unattended-upgrades-dpkg.log.3.gz"
