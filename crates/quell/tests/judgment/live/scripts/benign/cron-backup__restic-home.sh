#!/bin/sh
# benign: the cron backup with restic: cron -> sh -c restic backup of the ops home (ssh keys included) and /etc/shadow to the REST server (loopback)
. "$(dirname "$0")/../../lib.sh"
$B/cron "$B/restic -r rest:http://127.0.0.1:8000/host1 backup $H /etc/shadow"
