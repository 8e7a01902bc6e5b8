#!/bin/sh
# malicious: an attacker at the runtime tty of a running service container installs tools with the package manager
# container
. "$(dirname "$0")/../../lib.sh"
ctr_tty <<'CMDS'
id
apt-get install -y nmap socat
pip install impacket
exit
CMDS
