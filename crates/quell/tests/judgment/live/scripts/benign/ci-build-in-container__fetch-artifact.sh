#!/bin/sh
# benign: a CI job downloads a dependency tarball from the artifact server (curl -o) and unpacks it in its build container
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec sh -c 'set -e; mkdir -p /tmp/deps; curl -sf -o /tmp/deps/deps.tar.gz http://127.0.0.1:8080/deps.tar.gz; tar xzf /tmp/deps/deps.tar.gz -C /tmp/deps; cat /tmp/deps/lib/VERSION' </dev/null
