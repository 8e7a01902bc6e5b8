#!/bin/sh
# benign: the next pipeline fetches the same artifact into another cache dir
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec sh -c 'set -e; mkdir -p /tmp/cache-91; curl -sf -o /tmp/cache-91/deps.tar.gz http://127.0.0.1:8080/deps.tar.gz; tar xzf /tmp/cache-91/deps.tar.gz -C /tmp/cache-91' </dev/null
