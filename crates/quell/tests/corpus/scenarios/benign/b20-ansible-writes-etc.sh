#!/bin/sh
# quell labeled corpus scenario (benign): an Ansible run writes a configuration file below /etc
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
$B/ansible-playbook "echo managed=1 > $E/app.conf"
