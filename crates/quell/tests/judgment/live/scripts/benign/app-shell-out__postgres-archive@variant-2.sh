#!/bin/sh
# benign: the archive_command two segments later, after a checkpoint
# container
. "$(dirname "$0")/../../lib.sh"
APP_USER=root ctr_app postgres "cd /var/lib/postgresql/data && test ! -f /var/lib/postgresql/archive/000000010000000000000009 && cp pg_wal/000000010000000000000009 /var/lib/postgresql/archive/000000010000000000000009"
