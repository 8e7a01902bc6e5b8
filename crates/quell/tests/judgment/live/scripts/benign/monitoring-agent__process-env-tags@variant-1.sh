#!/bin/sh
# benign: the next interval of the same agent process check, run with the container check too
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec /opt/bin/datadog-agent check process container </dev/null
