#!/bin/sh
# malicious: a dropped binary named like the agent, downloaded by a web shell to /tmp, reads process environments (runs the agent code from the upper layer)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app httpd "cp /opt/bin/datadog-agent /tmp/datadog-agent && chmod +x /tmp/datadog-agent && /tmp/datadog-agent check process"
