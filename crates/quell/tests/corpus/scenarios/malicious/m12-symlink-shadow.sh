#!/bin/sh
# quell labeled corpus scenario (malicious): a symlink to /etc/shadow is planted
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
ln -sf /etc/shadow $W/shadow-link
