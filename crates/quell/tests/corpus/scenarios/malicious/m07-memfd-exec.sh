#!/bin/sh
# quell labeled corpus scenario (malicious): fileless execution from a memfd, then log cleanup
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/kern.log
python3 -c "import os;fd=os.memfd_create('x');os.write(fd,open('/bin/rm','rb').read());os.execv('/proc/self/fd/%d'%fd,['rm','-f','$S/kern.log'])"
