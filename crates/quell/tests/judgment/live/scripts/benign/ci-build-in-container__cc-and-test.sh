#!/bin/sh
# benign: a CI job in a build container (the runner execs sh -c through the runtime, no tty): cc compiles the project into a temp build dir and the job runs the binary it built
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec sh -c 'set -e; cd /app; mkdir -p /tmp/build-4711; cc -O2 -o /tmp/build-4711/app src/main.c; /tmp/build-4711/app && echo "tests passed"' </dev/null
