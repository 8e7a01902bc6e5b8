#!/bin/sh
# benign: a monitoring agent started by the runtime in the pod (datadog-agent) runs its process check: reads /proc/*/stat, cmdline and environ (tags), posts to its collector (loopback)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec /opt/bin/datadog-agent check process </dev/null
