#!/bin/sh
# benign: the next pipeline of the same CI job: another build dir number, same compile-and-run
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec sh -c 'set -e; cd /app; mkdir -p /tmp/build-4788; cc -O2 -o /tmp/build-4788/app src/main.c; /tmp/build-4788/app && echo "tests passed"' </dev/null
