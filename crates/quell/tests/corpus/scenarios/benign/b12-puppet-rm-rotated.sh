#!/bin/sh
# quell labeled corpus scenario (benign): a Puppet run removes rotated logs
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/app.log.3
$B/puppet "rm -f $S/app.log.3"
