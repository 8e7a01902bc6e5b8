#!/bin/sh
# quell labeled corpus scenario (benign): an operator removes a rotated, compressed syslog archive
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/syslog.2.gz
script -qec "rm -f $S/syslog.2.gz" /dev/null
