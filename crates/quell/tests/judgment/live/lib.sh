# Sourced by every scenario script (under `quell run --record`): the ways work enters the
# host or the test container. Set by record.sh: S W E B H SRV (scratch paths, see record.sh),
# and for container scenarios T (with T/ctr.env and T/runc).
set -u
PATH_STD=/opt/bin:/usr/sbin:/usr/bin:/sbin:/bin
URL=http://127.0.0.1:8080
[ -n "${T:-}" ] && [ -f "$T/ctr.env" ] && . "$T/ctr.env"

# The runtime's exec with a terminal (`docker exec -it CTR sh`): a pty from script(1), as the
# runtime's shim would hold it; the runtime joins the container's cgroup and namespaces and
# starts an interactive shell there, fed by this function's stdin. $1: user (default root).
ctr_tty() {
    CG=$CG CTR_PID=$CTR_PID T=$T U=${1:-root} SHELL=/bin/sh PATH_STD=$PATH_STD /usr/bin/script -qe -c \
        'echo $$ > "$CG/cgroup.procs" && exec "$T/runc" --target "$CTR_PID" --mount --uts --pid --root --wd -- /usr/bin/env -i HOME=/root TERM=xterm PATH=$PATH_STD /usr/bin/setsid --ctty /usr/bin/setpriv --reuid=$U --regid=$U --clear-groups /bin/sh -i' /dev/null
}

# The runtime's exec without a terminal (`docker exec CTR CMD ARGS...`, or `kubectl exec` with
# a pipe): stdin is this function's.
ctr_exec() {
    sh -c 'cg=$1 r=$2 p=$3 ps=$4; shift 4; echo $$ > "$cg/cgroup.procs" && exec "$r" --target "$p" --mount --uts --pid --root --wd -- /usr/bin/env -i HOME=/root PATH="$ps" "$@"' \
        sh "$CG" "$T/runc" "$CTR_PID" "$PATH_STD" "$@"
}

# The container's application process, started by the runtime (runc -> /opt/bin/APP ARG):
# an app handling one request. As user $APP_USER if set (e.g. www-data).
ctr_app() {
    if [ -n "${APP_USER:-}" ]; then
        ctr_exec /usr/bin/setpriv --reuid="$APP_USER" --regid="$APP_USER" --clear-groups "/opt/bin/$1" "$2" </dev/null
    else
        ctr_exec "/opt/bin/$1" "$2" </dev/null
    fi
}

# An ssh login with a terminal: script(1) holds the pty, the stand-in sshd (an sshd session
# process) sets the login uid and runs the user's shell, fed by this function's stdin.
ssh_tty() {
    SHELL=/bin/sh /usr/bin/script -qe -c "$B/sshd ${1:-root}" /dev/null
}

# A command over ssh without a terminal (`ssh host CMD`).
ssh_cmd() {
    u=$1; shift
    "$B/sshd" "$u" "$*" </dev/null
}
