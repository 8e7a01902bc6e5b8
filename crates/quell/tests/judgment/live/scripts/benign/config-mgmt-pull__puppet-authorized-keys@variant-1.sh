#!/bin/sh
# benign: the next puppet run deploys a new version of the same authorized_keys (from another catalog directory)
. "$(dirname "$0")/../../lib.sh"
mkdir -p $W/puppet/catalog-20261205
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIQuellLiveOps ops@laptop\n' > $W/puppet/catalog-20261205/authorized_keys
$B/puppet "install -m 600 $W/puppet/catalog-20261205/authorized_keys $H/.ssh/authorized_keys"
