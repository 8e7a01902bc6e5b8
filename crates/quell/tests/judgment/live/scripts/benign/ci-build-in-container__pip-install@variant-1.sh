#!/bin/sh
# benign: the next pipeline: pip installs the test requirements too
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec sh -c 'cd /app && pip install -r requirements.txt && pip install pytest==8.3.4' </dev/null
