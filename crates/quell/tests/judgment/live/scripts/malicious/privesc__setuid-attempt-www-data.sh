#!/bin/sh
# malicious: code running as www-data in the container tries setuid(0) (a privilege escalation attempt)
# container
. "$(dirname "$0")/../../lib.sh"
APP_USER=www-data ctr_app apache2 "python3 -c 'import os
try: os.setuid(0)
except OSError: pass'"
