#!/bin/sh
# A scratch test "container" for the live judgment corpus (run by record.sh, not recorded).
#
#   sh container.sh up T     T: an empty scratch directory; writes T/ctr.env (ID CG CTR_PID)
#   sh container.sh down T   kills the container's processes, removes its cgroup and T
#
# Like crates/quell/demo/setup.sh (a docker-named cgroup v2 scope so that container.id is
# set, new mount/PID/UTS namespaces, a chroot), with one difference that matters to the
# rules: the rootfs is an overlayfs whose lower layer is the "image" (T/image: the stand-in
# programs under /opt/bin, logs, web root, a database directory) and whose upper layer
# takes every write made while the container runs, as a runtime's would. So a file
# created in the container and executed there has proc.is_exe_upper_layer=true, and an
# image file has false. The host's /usr, /bin, /lib and /etc are bind-mounted read-only into
# it, inside the container's private mount namespace; nothing is mounted on the host.
# T/runc is a copy of nsenter named runc (the stand-in runtime that enters the container).
set -eu
cmd=$1 T=$2
[ -n "$T" ] && [ -d "$T" ] || { echo "container.sh: $T must be an existing directory" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)

down() {
    set +e
    ID= CG= CTR_PID=
    [ -f "$T/ctr.env" ] && . "$T/ctr.env"
    case "$CG" in
    */docker-"$ID".scope)
        if [ ${#ID} -eq 64 ] && [ -d "$CG" ]; then
            [ -e "$CG/cgroup.kill" ] && echo 1 > "$CG/cgroup.kill" 2>/dev/null
            i=0
            while [ -n "$(cat "$CG/cgroup.procs" 2>/dev/null)" ] && [ $i -lt 100 ]; do
                for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
                i=$((i + 1)); sleep 0.05
            done
            rmdir "$CG" 2>/dev/null || echo "container.sh: could not remove the cgroup $CG" >&2
        fi ;;
    esac
    if grep -q " $T/" /proc/self/mountinfo; then
        echo "container.sh: something is still mounted below $T; not removing it" >&2
        return 1
    fi
    rm -rf --one-file-system "$T"
}
[ "$cmd" = down ] && { down; exit $?; }
[ "$cmd" = up ] || { echo "usage: container.sh up|down T" >&2; exit 2; }
fail() { echo "container.sh: $*" >&2; down >&2 || true; exit 1; }

UNIFIED=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo)
[ -n "$UNIFIED" ] || fail "no cgroup v2 (unified) hierarchy is mounted"
ID=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
[ ${#ID} -eq 64 ] || fail "cannot make a container id"
CG="$UNIFIED/docker-$ID.scope"
printf 'ID=%s\nCG=%s\n' "$ID" "$CG" > "$T/ctr.env"
mkdir "$CG" || fail "cannot create the cgroup $CG"

# The image (lower layer).
I="$T/image"
mkdir -p "$I/var/log/app" "$I/var/log/nginx" "$I/tmp" "$I/proc" "$I/dev" "$I/root" "$I/srv/www" \
    "$I/opt/bin" "$I/var/lib/postgresql/data/pg_wal" "$I/var/lib/postgresql/archive" "$I/home/app/.ssh" \
    "$I/app/src" "$I/var/spool/mail" "$T/ovl/upper" "$T/ovl/work" "$T/rootfs"
chmod 1777 "$I/tmp"
for d in usr bin sbin lib lib32 lib64 libx32 etc; do
    if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$I/$d"; elif [ -d "/$d" ]; then mkdir -p "$I/$d"; fi
done
printf '2026-12-01 06:25:14 startup archives unpack\n2026-12-01 06:25:16 status installed nginx:amd64 1.22.1-9\n' > "$I/var/log/dpkg.log"
printf 'Dec  1 06:25:01 web CRON[812]: (root) CMD (run-parts /etc/cron.hourly)\n' > "$I/var/log/syslog"
for n in 1 2 3; do printf '127.0.0.1 - - [01/Dec/2026:06:2%s:00 +0000] "GET / HTTP/1.1" 200 512\n' $n > "$I/var/log/nginx/access.log.$n"; done
printf '127.0.0.1 - - [01/Dec/2026:06:30:00 +0000] "GET / HTTP/1.1" 200 512\n' > "$I/var/log/nginx/access.log"
printf 'level=info msg="request served" path=/\n' > "$I/var/log/app/app.log"
printf '<html><body>it works</body></html>\n' > "$I/srv/www/index.html"
for s in 000000010000000000000007 000000010000000000000008 000000010000000000000009; do
    head -c 4096 /dev/zero > "$I/var/lib/postgresql/data/pg_wal/$s"
done
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIQuellLiveCorpusDeployKey deploy@ci\n' > "$I/home/app/.ssh/authorized_keys"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nquell-jlive-corpus-not-a-key\n-----END OPENSSH PRIVATE KEY-----\n' > "$I/home/app/.ssh/id_ed25519"
printf 'int main(void) { return 0; }\n' > "$I/app/src/main.c"
printf 'flask==3.0.0\n' > "$I/app/requirements.txt"
# Stand-in programs of the image, named like the real ones (the kernel's comm is the file
# name): sh-runners hand their argument to `sh -c` the way a server's system() or a
# runtime's hook would; the others only do what their comment says.
for p in httpd nginx apache2 postgres php-fpm gunicorn; do
    printf '#!/bin/sh\n# stand-in %s: runs its request through sh -c, as system() would\ncd /srv/www 2>/dev/null\nsh -c "$1"\n' "$p" > "$I/opt/bin/$p"
done
cp "$HERE/agent.py" "$I/opt/bin/datadog-agent"
for p in pip apt-get apk; do
    printf '#!/bin/sh\n# stand-in package manager: prints what it would do, changes nothing\necho "%s $*: nothing to do"\n' "$p" > "$I/opt/bin/$p"
done
cp "$HERE/nc.py" "$I/opt/bin/nc"
cp "$HERE/sendmail.py" "$I/opt/bin/sendmail"
chmod 755 "$I"/opt/bin/*
cp "$(command -v nsenter)" "$T/runc" || fail "nsenter (util-linux) is needed"
chmod 755 "$T/runc"

setsid sh -c '
    echo $$ > "$0/cgroup.procs"
    exec unshare --mount --pid --uts --fork --propagation private sh -c "
        set -e
        hostname web-7f9c4
        mount -t overlay overlay -o lowerdir=\$1/image,upperdir=\$1/ovl/upper,workdir=\$1/ovl/work \$1/rootfs
        R=\$1/rootfs
        for d in usr bin sbin lib lib32 lib64 libx32 etc; do
            if [ -d /\$d ] && [ ! -L /\$d ]; then mount --rbind /\$d \$R/\$d; mount -o remount,bind,ro \$R/\$d; fi
        done
        mount --rbind /dev \$R/dev
        mount -t proc proc \$R/proc
        exec chroot \$R /bin/sleep infinity" sh "$1"' "$CG" "$T" </dev/null >/dev/null 2>&1 &

i=0
CTR_PID=
while [ $i -lt 100 ]; do
    for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
        if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] && [ -e "/proc/$p/root/opt/bin/httpd" ]; then
            CTR_PID=$p
        fi
    done
    [ -n "$CTR_PID" ] && break
    i=$((i + 1)); sleep 0.05
done
[ -n "$CTR_PID" ] || fail "the container did not start (unshare, overlayfs, mount and chroot need root)"
printf 'CTR_PID=%s\n' "$CTR_PID" >> "$T/ctr.env"
