#!/bin/sh
# benign: the host monitoring agent (telegraf exec input) checks that the collector port is up: telegraf -> sh -c nc -z 127.0.0.1 8086
. "$(dirname "$0")/../../lib.sh"
$B/telegraf "$B/nc -z -w 2 127.0.0.1 8086 && echo 'collector_up value=1'"
