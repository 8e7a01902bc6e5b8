#!/bin/sh
# quell labeled corpus scenario (malicious): a dropped copy of mv renames the audit log away
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
mkdir -p $S/audit; touch $S/audit/audit.log
cp /bin/mv $W/.mv
$W/.mv $S/audit/audit.log $S/audit/.a
