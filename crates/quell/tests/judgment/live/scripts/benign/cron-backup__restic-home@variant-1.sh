#!/bin/sh
# benign: the next run of the restic cron backup, another repository path
. "$(dirname "$0")/../../lib.sh"
$B/cron "$B/restic -r rest:http://127.0.0.1:8000/host1-daily backup $H /etc/shadow"
