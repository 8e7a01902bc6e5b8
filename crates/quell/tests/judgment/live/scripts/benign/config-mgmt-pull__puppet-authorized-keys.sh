#!/bin/sh
# benign: a puppet agent run deploys the ops team authorized_keys file (install -m 600) from its catalog
. "$(dirname "$0")/../../lib.sh"
mkdir -p $W/puppet/catalog
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIQuellLiveOps ops@laptop\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIQuellLiveOncall oncall@laptop\n' > $W/puppet/catalog/authorized_keys
$B/puppet "install -m 600 $W/puppet/catalog/authorized_keys $H/.ssh/authorized_keys"
