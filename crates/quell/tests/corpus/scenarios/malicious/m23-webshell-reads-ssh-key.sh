#!/bin/sh
# quell labeled corpus scenario (malicious): a web shell reads an SSH private key
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
mkdir -p $H/.ssh; echo key > $H/.ssh/id_rsa
$B/httpd "cat $H/.ssh/id_rsa > /dev/null"
