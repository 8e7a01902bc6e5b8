#!/bin/sh
# quell labeled corpus scenario (benign): an Ansible run installs a cron job
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
$B/ansible-playbook "echo '*/5 * * * * root true' > /etc/cron.d/quell-corpus-ansible"
rm -f /etc/cron.d/quell-corpus-ansible
