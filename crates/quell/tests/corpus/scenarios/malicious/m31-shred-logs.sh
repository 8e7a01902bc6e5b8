#!/bin/sh
# quell labeled corpus scenario (malicious): shred destroys log files
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
echo x > $S/messages
shred -u $S/messages
