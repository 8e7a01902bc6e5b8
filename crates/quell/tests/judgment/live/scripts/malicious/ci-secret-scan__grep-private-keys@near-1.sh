#!/bin/sh
# malicious: a web shell searches the container for private keys (grep -r over home and root)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app httpd "grep -rl 'BEGIN OPENSSH PRIVATE' /home /root 2>/dev/null; find /home /root -name id_rsa -o -name id_ed25519"
