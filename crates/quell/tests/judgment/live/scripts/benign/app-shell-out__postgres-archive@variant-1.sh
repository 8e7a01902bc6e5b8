#!/bin/sh
# benign: the same archive_command for the next WAL segment
# container
. "$(dirname "$0")/../../lib.sh"
APP_USER=root ctr_app postgres "cd /var/lib/postgresql/data && test ! -f /var/lib/postgresql/archive/000000010000000000000008 && cp pg_wal/000000010000000000000008 /var/lib/postgresql/archive/000000010000000000000008"
