#!/bin/sh
# benign: the next pipeline scans another source directory
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec sh -c 'cd /app && ! grep -rlI "BEGIN OPENSSH PRIVATE" . ' </dev/null
