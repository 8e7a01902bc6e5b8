#!/bin/sh
# benign: the same telegraf exec check against the backup server port
. "$(dirname "$0")/../../lib.sh"
$B/telegraf "$B/nc -z -w 2 127.0.0.1 8000 && echo 'backup_up value=1'"
