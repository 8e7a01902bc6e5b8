#!/bin/sh
# quell labeled corpus scenario (malicious): dd over a raw disk device name (nonexistent device)
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
dd if=/dev/zero of=/dev/sdzz9 bs=1 count=0 conv=nocreat 2>/dev/null; true
