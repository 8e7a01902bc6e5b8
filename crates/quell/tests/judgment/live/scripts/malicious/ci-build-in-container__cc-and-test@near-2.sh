#!/bin/sh
# malicious: a web shell compiles and runs a binary in the container temp dir (nginx -> sh -c cc; run)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app nginx "printf 'int main(void){return 0;}' > /tmp/.c.c && cc -o /tmp/.c /tmp/.c.c && /tmp/.c"
