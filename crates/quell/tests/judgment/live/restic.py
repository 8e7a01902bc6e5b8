#!/usr/bin/python3
# stand-in restic: `restic -r rest:http://127.0.0.1:PORT/REPO backup PATH...` reads every file
# below the paths (as restic does, in-process) and sends them in one request to the REST
# server. Nothing else. Loopback use only.
import http.client, io, os, sys, tarfile, urllib.parse
a = sys.argv[1:]
repo = a[a.index("-r") + 1] if "-r" in a else "rest:http://127.0.0.1:8000/"
paths = a[a.index("backup") + 1:] if "backup" in a else []
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz") as t:
    for p in paths:
        try:
            t.add(p)
        except OSError as e:
            print(f"restic: {p}: {e.strerror}", file=sys.stderr)
u = urllib.parse.urlparse(repo[len("rest:"):])
c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=5)
c.request("POST", (u.path or "/") + "data", body=buf.getvalue())
print("snapshot saved" if c.getresponse().status < 300 else "upload failed")
