#!/bin/sh
# malicious: a web shell in the container greps for cloud credentials
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app gunicorn "grep -r aws_secret_access_key /home /root /app 2>/dev/null; find /home /root /app /srv -path '*.aws/credentials' 2>/dev/null"
