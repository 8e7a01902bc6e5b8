#!/bin/sh
# Records the live part of the judgment corpus (issue 11, item 6): each scenario script
# scripts/<label>/<name>.sh runs in its own session under
#   quell run --record recordings/<label>/<name>.jsonl -- setsid sh scripts/<label>/<name>.sh
# (the upstream stable + incubating rules loaded; a recording keeps every event whatever the
# rules), and the recording is gzip'ed (gzip -9n). quell itself runs in a session of its own
# (setsid -w), so that no event of a recording shares a session with another recording's.
# Needs root and BPF.
#   sh record.sh [SUBSTRING]   only the scenarios whose name contains SUBSTRING
#   OUT=DIR FORMAT=scap sh record.sh ...   record scap captures (DIR/<label>/<name>.scap.gz)
#   instead (tests/differential_scap.rs reads such captures)
#
# Scratch paths, created here and removed at the end (and between scenarios):
#   S=/var/log/quell-jlive  W=/tmp/quell-jlive  E=/etc/quell-jlive  B=/opt/quell-jlive/bin
#   H=/home/quell-jlive-ops (a user's home: the rules match /home/*/.ssh/* and .bashrc)
#   SRV=/run/quell-jlive-srv (what the loopback artifact server serves)
#   /etc/cron.d/quell-jlive-*, /dev/shm/quell-jlive-*, /dev/quell-jlive-* (written and removed
#   by the scenarios that need those real directories; record.sh
#   removes leftovers)
# A script with a line `# pending: REASON` is not recorded (see the loop). A scenario whose
# script has a line `# container` runs against a fresh scratch container
# (container.sh: a docker-named cgroup v2 scope, namespaces, an overlayfs rootfs under
# /run/quell-jlive-ctr.PID), removed after it. Network: 127.0.0.1 only (servers.py, started
# here outside every recording, stopped by its PID at the end). Programs under $B and the
# container's /opt/bin are stand-ins named like the real ones (sshd, cron, apt-get, puppet,
# postgres, httpd, ...); see the comment in each.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../../../.." && pwd)
QUELL=${QUELL:-$ROOT/target/debug/quell}
RULES=${RULES:-$ROOT/../shared/corpus/falco-rules}
OUT=${OUT:-$HERE/recordings}
FORMAT=${FORMAT:-jsonl}
S=/var/log/quell-jlive W=/tmp/quell-jlive E=/etc/quell-jlive B=/opt/quell-jlive/bin
H=/home/quell-jlive-ops SRV=/run/quell-jlive-srv
export S W E B H SRV
# A plain system PATH, so that the shells' PATH searches do not fill the recordings with
# failed execs in the recording user's own tool directories.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
[ "$(id -u)" -eq 0 ] || { echo "record.sh: needs root (BPF, namespaces)" >&2; exit 1; }
[ -x "$QUELL" ] || { echo "record.sh: build quell first (cargo build -p quell)" >&2; exit 1; }

SERVERS= T=
cleanup() {
    set +e
    [ -n "$T" ] && sh "$HERE/container.sh" down "$T"
    if [ -n "$SERVERS" ]; then kill "$SERVERS" 2>/dev/null; wait "$SERVERS" 2>/dev/null; fi
    rm -rf "$S" "$W" "$E" "$H" "$SRV" /opt/quell-jlive /etc/cron.d/quell-jlive-* /dev/shm/quell-jlive-* /dev/quell-jlive-*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Loopback peers and what they serve: two small ELF programs built here (a stand-in implant
# that leaves a marker file, a stand-in miner that speaks one stratum line to 127.0.0.1:3333),
# a dependency tarball and a shell script.
rm -rf "$SRV"; mkdir -p "$SRV"
cat > "$SRV/implant.c" <<'C'
#include <stdio.h>
int main(void) { FILE *f = fopen("/tmp/.X11-lock-q", "w"); if (f) { fputs("1\n", f); fclose(f); } return 0; }
C
cat > "$SRV/miner.c" <<'C'
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(3333) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) return 1;
    const char *login = "{\"id\":1,\"method\":\"login\",\"params\":{\"login\":\"4Aq...\",\"agent\":\"xmrig/6.21\"}}\n";
    char buf[256];
    if (write(s, login, strlen(login)) > 0) (void)read(s, buf, sizeof buf);
    close(s);
    return 0;
}
C
cc -O1 -o "$SRV/implant" "$SRV/implant.c"
cc -O1 -o "$SRV/xmrig" "$SRV/miner.c"
mkdir -p "$SRV/deps/lib"; echo 'libfoo 1.2.3' > "$SRV/deps/lib/VERSION"
tar czf "$SRV/deps.tar.gz" -C "$SRV/deps" lib
printf '#!/bin/sh\necho "* * * * * root /tmp/.X11-lock-q" > /dev/null\n' > "$SRV/install.sh"
/usr/bin/python3 "$HERE/servers.py" "$SRV" "$SRV/.ready" &
SERVERS=$!
i=0
until [ -e "$SRV/.ready" ]; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "record.sh: the loopback servers did not start (ports 8080 8000 8086 3128 2525 3333 4444 free?)" >&2; exit 1; }
    sleep 0.05
done

standin() { # NAME KIND COMMENT
    case $2 in
    sh-runner) printf '#!/bin/sh\n# stand-in %s: %s\nsh -c "$1"\n' "$1" "$3" ;;
    eval) printf '#!/bin/sh\n# stand-in %s: %s\neval "$1"\n' "$1" "$3" ;;
    noop) printf '#!/bin/sh\n# stand-in %s: %s\nexit 0\n' "$1" "$3" ;;
    esac > "$B/$1"
    chmod 755 "$B/$1"
}

fresh() {
    rm -rf "$S" "$W" "$E" "$H" /opt/quell-jlive
    rm -f /etc/cron.d/quell-jlive-* /dev/shm/quell-jlive-* /dev/quell-jlive-*
    mkdir -p "$S" "$W" "$E" "$H/.ssh" "$B"
    printf 'Dec  1 06:25:01 host CRON[812]: (root) CMD (true)\n' > "$S/syslog"
    printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIQuellLiveOps ops@laptop\n' > "$H/.ssh/authorized_keys"
    printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nquell-jlive-corpus-not-a-key\n-----END OPENSSH PRIVATE KEY-----\n' > "$H/.ssh/id_ed25519"
    printf '[default]\naws_access_key_id = AKIAQUELLLIVECORPUS00\naws_secret_access_key = not-a-secret\n' > "$H/.aws-credentials"
    printf '# ~/.bashrc\nalias ll="ls -l"\n' > "$H/.bashrc"
    printf 'ls\ncd /var/log\n' > "$H/.bash_history"
    standin cron sh-runner 'runs a job line through sh -c, as cron does'
    standin httpd sh-runner 'handles a request through sh -c, as a CGI/system() call would'
    standin apache2 sh-runner 'mod_php calling mail() or system(): sh -c with the command'
    standin postgres sh-runner 'runs archive_command (or COPY ... FROM PROGRAM) through sh -c'
    standin sqlplus sh-runner 'runs its HOST command (and its terminal probes) through sh -c'
    standin telegraf sh-runner 'an exec input: runs the configured check through sh -c'
    standin puppet eval 'applies a catalog: runs its resources as direct children'
    standin salt-call eval 'applies a state: runs its resources as direct children'
    standin salt-minion sh-runner 'runs salt-call through sh -c'
    # apt-get install PKG...: configures each package with dpkg; dpkg --configure PKG runs the
    # package's postinst (prepared by the scenario under $W/dpkg-info) as its child.
    printf '#!/bin/sh\n# stand-in apt-get: "installs" by running dpkg --configure on each package\nfor p in "$@"; do case $p in -*|install|upgrade) ;; *) "%s/dpkg" --configure "$p" ;; esac; done\n' "$B" > "$B/apt-get"
    printf '#!/bin/sh\n# stand-in dpkg: --configure PKG runs the package postinst\n[ -x "%s/dpkg-info/$2.postinst" ] && "%s/dpkg-info/$2.postinst" configure\n' "$W" "$W" > "$B/dpkg"
    chmod 755 "$B/apt-get" "$B/dpkg"
    standin lighttpd eval 'a long-lived worker that handles requests in-process'
    standin crontab noop 'lists or installs a crontab (changes nothing here)'
    standin useradd noop 'would add a user (changes nothing here)'
    # sshd: an sshd session process; sets the login uid (pam_loginuid) and runs the user's
    # shell as that user: interactive without a command, `sh -c CMD` with one.
    cat > "$B/sshd" <<'SH'
#!/bin/sh
# stand-in sshd (session): sets the login uid, then runs the user's shell as the user
u=$1
uid=$(id -u "$u") gid=$(id -g "$u") home=$(getent passwd "$u" | cut -d: -f6)
echo "$uid" > /proc/self/loginuid 2>/dev/null
[ -d "$home" ] || home=/
cd "$home"
if [ $# -gt 1 ]; then
    env -i HOME="$home" USER="$u" LOGNAME="$u" PATH="$B:/usr/sbin:/usr/bin:/sbin:/bin" SSH_CONNECTION="127.0.0.1 50022 127.0.0.1 22" \
        setpriv --reuid="$u" --regid="$gid" --init-groups sh -c "$2"
else
    env -i HOME="$home" USER="$u" LOGNAME="$u" TERM=xterm PATH="$B:/usr/sbin:/usr/bin:/sbin:/bin" SSH_CONNECTION="127.0.0.1 50022 127.0.0.1 22" SSH_TTY=/dev/pts/0 \
        setpriv --reuid="$u" --regid="$gid" --init-groups sh -i
fi
SH
    sed -i "s|\$B:|$B:|g" "$B/sshd"
    cp "$HERE/nc.py" "$B/nc"
    cp "$HERE/restic.py" "$B/restic"
    chmod 755 "$B/sshd" "$B/nc" "$B/restic"
}

only=${1:-}
n=0
for label in benign malicious; do
    mkdir -p "$OUT/$label"
    for f in "$HERE"/scripts/$label/*.sh; do
        [ -e "$f" ] || continue
        name=$(basename "$f" .sh)
        case "$name" in *"$only"*) ;; *) continue ;; esac
        # A script marked `# pending: REASON` needs a field the capture does not yet render
        # the way the rules expect; it is kept, and not recorded, until it does.
        if grep -q '^# pending:' "$f"; then
            echo "-- $label/$name: skipped ($(sed -n 's/^# pending: //p' "$f"))" >&2
            rm -f "$OUT/$label/$name.$FORMAT.gz"
            continue
        fi
        n=$((n + 1))
        fresh
        T=
        if grep -q '^# container$' "$f"; then
            T=/run/quell-jlive-ctr.$$
            mkdir "$T"
            sh "$HERE/container.sh" up "$T"
        fi
        export T
        rec="$OUT/$label/$name.$FORMAT"
        echo "== $label/$name" >&2
        (cd "$W" && setsid -w "$QUELL" run -r "$RULES/falco_rules.yaml" -r "$RULES/falco-incubating_rules.yaml" \
            --record "$rec" -- setsid sh "$f" > /dev/null 2> "$rec.log") || true
        grep -E '^quell: +[0-9]+ ' "$rec.log" >&2 || true
        rm -f "$rec.log"
        gzip -9nf "$rec"
        if [ -n "$T" ]; then sh "$HERE/container.sh" down "$T"; T=; fi
    done
done
echo "recorded $n scenario(s)" >&2
