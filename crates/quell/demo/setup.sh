#!/bin/sh
# quell demo: creates the scratch "container" the story runs in (not recorded).
#
#   T  an empty scratch directory the demo owns (everything below is created in it)
#
# The container: its own cgroup, a docker-named scope created in the cgroup v2 (unified)
# hierarchy only (v1 controllers are never touched), new mount/PID/UTS namespaces, and a
# chroot rootfs under $T/rootfs. The host's /usr, /bin, /lib, /etc and /dev are bind-mounted
# read-only into it inside the container's private mount namespace (invisible on the host);
# /var/log, /tmp, /srv and /opt are the rootfs's own, so the dpkg.log deleted is
# $T/rootfs/var/log/dpkg.log, never the host's. The container's init sleeps until
# teardown.sh kills it.
#
# Also: $T/runc, a copy of nsenter named runc (the kernel's comm is the file name), the
# stand-in runtime both actors enter the container through; /opt/httpd/bin/httpd in the
# rootfs, a stand-in web server that handles one request by running it with `sh -c` (the web
# shell); and $T/srv/payload, the payload the attack downloads over loopback (a stand-in implant
# that only leaves a marker file in the container's /tmp).
#
# Writes $T/ctr.env (ID, CG, CTR_PID) as it goes, so teardown.sh can undo a half-done setup.
set -eu
[ -n "${T:-}" ] && [ -d "$T" ] || { echo "setup.sh: T must be an existing directory" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
fail() { echo "quell demo setup: $*" >&2; T="$T" sh "$HERE/teardown.sh" >&2 || true; exit 1; }

# The cgroup v2 mount point (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts).
UNIFIED=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo)
[ -n "$UNIFIED" ] || fail "no cgroup v2 (unified) hierarchy is mounted"
ID=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
[ ${#ID} -eq 64 ] || fail "cannot make a container id"
CG="$UNIFIED/docker-$ID.scope"
R="$T/rootfs"
printf 'ID=%s\nCG=%s\n' "$ID" "$CG" > "$T/ctr.env"
mkdir "$CG" || fail "cannot create the cgroup $CG"

# The rootfs.
mkdir -p "$R/var/log/apt" "$R/tmp" "$R/proc" "$R/dev" "$R/root" "$R/srv/www" "$R/opt/httpd/bin" "$T/srv"
chmod 1777 "$R/tmp"
for d in usr bin sbin lib lib32 lib64 libx32 etc; do
    if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$R/$d"; elif [ -d "/$d" ]; then mkdir -p "$R/$d"; fi
done
cat > "$R/var/log/dpkg.log" <<'EOF'
2025-06-02 06:25:14 startup archives unpack
2025-06-02 06:25:15 install apache2-bin:amd64 <none> 2.4.62-1
2025-06-02 06:25:16 status installed apache2-bin:amd64 2.4.62-1
2025-06-02 06:25:17 trigproc libc-bin:amd64 2.36-9 <none>
EOF
cp "$R/var/log/dpkg.log" "$T/dpkg.log.orig"
printf 'Start-Date: 2025-06-02  06:25:13\nCommandline: apt-get install -y apache2-bin\nEnd-Date: 2025-06-02  06:25:17\n' > "$R/var/log/apt/history.log"
printf '<html><body>it works</body></html>\n' > "$R/srv/www/index.html"
printf '#!/bin/sh\n# stand-in web server: handles one request; this one is a web shell.\ncd /srv/www\nsh -c "$1"\n' > "$R/opt/httpd/bin/httpd"
chmod 755 "$R/opt/httpd/bin/httpd"
printf '#!/bin/sh\n# stand-in implant: leaves a marker and returns\necho 1 > /tmp/.update.pid\n' > "$T/srv/payload"
cp "$(command -v nsenter)" "$T/runc" || fail "nsenter (util-linux) is needed"
chmod 755 "$T/runc"

# The container: join the cgroup, then new namespaces, bind mounts, chroot, and an init
# that sleeps. Its output goes nowhere; teardown.sh kills it through the cgroup.
setsid sh -c '
    echo $$ > "$0/cgroup.procs"
    exec unshare --mount --pid --uts --fork --propagation private sh -c "
        set -e
        hostname quell-httpd
        for d in usr bin sbin lib lib32 lib64 libx32 etc; do
            if [ -d /\$d ] && [ ! -L /\$d ]; then mount --rbind /\$d \$0/\$d; mount -o remount,bind,ro \$0/\$d; fi
        done
        mount --rbind /dev \$0/dev
        mount -t proc proc \$0/proc
        exec chroot \$0 /bin/sleep infinity" "$1"' "$CG" "$R" </dev/null >/dev/null 2>&1 &

# The init is the pid-namespace child of unshare, once it has chrooted.
i=0
CTR_PID=
while [ $i -lt 100 ]; do
    for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
        if [ "$(readlink "/proc/$p/root" 2>/dev/null)" = "$R" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ]; then
            CTR_PID=$p
        fi
    done
    [ -n "$CTR_PID" ] && break
    i=$((i + 1))
    sleep 0.05
done
[ -n "$CTR_PID" ] || fail "the container did not start (unshare, mount and chroot need root)"
printf 'CTR_PID=%s\n' "$CTR_PID" >> "$T/ctr.env"
