#!/bin/sh
# benign: a CI job scans the checked-out sources for committed private keys (grep -rl "BEGIN ... PRIVATE KEY") before publishing
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec sh -c 'cd /app && ! grep -rlI "BEGIN RSA PRIVATE" src/ && ! grep -rlI "BEGIN OPENSSH PRIVATE" src/' </dev/null
