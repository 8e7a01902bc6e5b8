#!/bin/sh
# malicious: postgres -> sh -c copies /etc/shadow into the archive directory (the same cp, another source)
# container
. "$(dirname "$0")/../../lib.sh"
APP_USER=root ctr_app postgres "cp /etc/shadow /var/lib/postgresql/archive/000000010000000000000010 && cat /var/lib/postgresql/archive/000000010000000000000010 > /dev/null"
