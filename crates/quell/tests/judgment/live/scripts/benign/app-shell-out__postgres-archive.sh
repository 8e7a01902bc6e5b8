#!/bin/sh
# benign: postgres archives a finished WAL segment with its archive_command: postgres -> sh -c "test ! -f archive/SEG && cp pg_wal/SEG archive/SEG"
# container
. "$(dirname "$0")/../../lib.sh"
APP_USER=root ctr_app postgres "cd /var/lib/postgresql/data && test ! -f /var/lib/postgresql/archive/000000010000000000000007 && cp pg_wal/000000010000000000000007 /var/lib/postgresql/archive/000000010000000000000007"
