#!/bin/sh
# quell labeled corpus scenario (malicious): a web shell runs useradd --help (account tooling from a web server)
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
$B/httpd "useradd --help > /dev/null 2>&1; true"
