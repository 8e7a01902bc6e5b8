#!/bin/sh
# malicious: a web shell in the container greps for cloud credentials
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app gunicorn "grep -r aws_secret_access_key /home /root /app 2>/dev/null; find / -path /proc -prune -o -name credentials -path '*.aws/credentials' -print 2>/dev/null | head -1"
