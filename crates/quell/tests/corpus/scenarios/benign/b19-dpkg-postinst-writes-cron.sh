#!/bin/sh
# quell labeled corpus scenario (benign): a dpkg maintainer script installs a cron file
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
$B/dpkg "echo '0 3 * * * root true' > /etc/cron.d/quell-corpus-pkg"
rm -f /etc/cron.d/quell-corpus-pkg
