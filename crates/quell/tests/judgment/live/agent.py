#!/usr/bin/python3
# stand-in monitoring agent (datadog-agent in the image): `datadog-agent check NAME...` runs
# its process check in-process, as the real agent does: reads /proc/*/stat and cmdline, and
# /proc/PID/environ for the tags of each process (first 8 processes), then posts a summary to
# the collector on 127.0.0.1:8086. Reads and sends nothing else.
import glob, http.client, sys
procs = sorted(glob.glob("/proc/[0-9]*"), key=lambda p: int(p.rsplit("/", 1)[1]))
names, tagged = [], 0
for p in procs:
    try:
        names.append(open(p + "/stat").read().split()[1])
        open(p + "/cmdline", "rb").read()
    except OSError:
        continue
for p in procs[:8]:
    try:
        env = open(p + "/environ", "rb").read().split(b"\0")
        tagged += sum(1 for e in env if e.startswith((b"DD_", b"SERVICE", b"VERSION")))
    except OSError:
        pass
c = http.client.HTTPConnection("127.0.0.1", 8086, timeout=5)
c.request("POST", "/api/v2/series", body=("check=%s procs=%d tagged=%d" % (" ".join(sys.argv[2:]), len(names), tagged)).encode())
c.getresponse()
