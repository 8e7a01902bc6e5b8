#!/bin/sh
# quell demo: the operator (recorded). Like `docker exec -it httpd sh`: a terminal (a pty from
# script(1), as the runtime's shim would hold it) and the runtime (runc) that joins the
# container's cgroup and namespaces and starts an interactive root shell in it; the operator
# looks at the logs, then deletes the package manager's log on purpose.
. "$T/ctr.env"
export T CG CTR_PID SHELL=/bin/sh
exec /usr/bin/script -qe -c 'echo $$ > "$CG/cgroup.procs" && exec "$T/runc" --target "$CTR_PID" --mount --uts --pid --root --wd -- /usr/bin/env -i HOME=/root TERM=xterm PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /usr/bin/setsid --ctty /bin/sh -i' /dev/null <<'CMDS'
ls -l /var/log
tail -n 2 /var/log/dpkg.log
rm /var/log/dpkg.log
exit
CMDS
