#!/bin/sh
# quell demo: removes what setup.sh created (not recorded); safe to run on a half-done setup
# and more than once.
#
#   T  the scratch directory given to setup.sh
#
# Kills the processes in the demo's own cgroup (the container's init, whatever is still in
# the container), removes the cgroup, then the scratch directory, refusing if anything is
# still mounted below it.
set -u
[ -n "${T:-}" ] && [ -d "$T" ] || exit 0
ID= CG= CTR_PID=
[ -f "$T/ctr.env" ] && . "$T/ctr.env"
case "$CG" in
*/docker-"$ID".scope)
    if [ ${#ID} -eq 64 ] && [ -d "$CG" ]; then
        # Only the demo's processes are in its cgroup: kill them all (cgroup.kill, Linux 5.14+),
        # else one by one.
        if [ -e "$CG/cgroup.kill" ]; then
            echo 1 > "$CG/cgroup.kill" 2>/dev/null
        fi
        i=0
        while [ -n "$(cat "$CG/cgroup.procs" 2>/dev/null)" ] && [ $i -lt 100 ]; do
            for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
            i=$((i + 1))
            sleep 0.05
        done
        rmdir "$CG" 2>/dev/null || echo "quell demo: could not remove the cgroup $CG" >&2
    fi
    ;;
esac
if grep -q " $T/" /proc/self/mountinfo; then
    echo "quell demo: something is still mounted below $T; not removing it" >&2
    exit 1
fi
rm -rf --one-file-system "$T"
