#!/bin/sh
# benign: a CI job installs the project Python requirements with pip inside its build container
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec sh -c 'cd /app && pip install -r requirements.txt' </dev/null
