#!/bin/sh
# quell labeled corpus scenario (malicious): a database server's shell empties mysql.log
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/mysql.log
$B/postgres ": > $S/mysql.log"
