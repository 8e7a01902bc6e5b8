#!/bin/sh
# quell demo: scratch setup (not recorded). A stand-in web server named httpd, a payload
# server directory, and the log the story is about.
set -eu
mkdir -p "$S" "$W/srv" "$W/bin"
touch "$S/dpkg.log"
printf '#!/bin/sh\nsh -c "$1"\n' > "$W/bin/httpd"
chmod 755 "$W/bin/httpd"
printf '#!/bin/sh\nrm -f %s\n' "$S/dpkg.log" > "$W/srv/payload"
