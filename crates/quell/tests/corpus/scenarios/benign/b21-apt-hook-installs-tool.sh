#!/bin/sh
# quell labeled corpus scenario (benign): an apt hook installs a helper into /usr/local/bin
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
$B/apt-get "cp /bin/true /usr/local/bin/quell-corpus-helper"
rm -f /usr/local/bin/quell-corpus-helper
