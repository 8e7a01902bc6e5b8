#!/bin/sh
# quell demo: an operator, in an interactive terminal, deletes the package manager's log on purpose.
script -qec "rm $S/dpkg.log" /dev/null
