#!/bin/sh
# quell labeled corpus scenario (benign): a Puppet run checks an account in /etc/shadow
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
$B/puppet "grep -c ^root: /etc/shadow"
