#!/bin/sh
# quell labeled corpus scenario (malicious): a program calls PTRACE_TRACEME to block debuggers
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
python3 -c "import ctypes;ctypes.CDLL(None).ptrace(0,0,0,0)"
