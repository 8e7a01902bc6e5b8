#!/usr/bin/python3
"""Loopback peers for the live judgment corpus (run by record.sh, outside every recording).

Listens on 127.0.0.1 only, one thread per connection, and stops on SIGTERM:
  8080 http  artifact / payload server: GET /NAME serves SRV/NAME, anything else 404
  8000 http  backup server: accepts any request and body, answers 200
  8086 http  metrics collector: accepts any request and body, answers 204
  3128 http  forward proxy stand-in: answers 200 "ok" to any request (nothing is forwarded)
  2525 smtp  mail relay stand-in: 220 banner, 250 to every line, 354 after DATA
  3333 raw   mining pool stand-in: answers a stratum line to each line read
  4444 raw   attacker's listener: sends a few commands to whatever connects (a reverse
             shell runs them: `id`, `uname -a`, `exit`), then reads until EOF
Usage: servers.py SRV_DIR READY_FILE
"""
import os, signal, socket, sys, threading

SRV, READY = sys.argv[1], sys.argv[2]


def read_request(c):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            return data, b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip() or 0)
    while len(body) < length:
        chunk = c.recv(65536)
        if not chunk:
            break
        body += chunk
    return head, body


def http(kind):
    def handle(c):
        head, _ = read_request(c)
        line = head.split(b"\r\n", 1)[0].split()
        status, payload = b"200 OK", b"ok\n"
        if kind == "files":
            name = os.path.basename(line[1].decode("latin-1")) if len(line) > 1 else ""
            path = os.path.join(SRV, name)
            if line and line[0] == b"GET" and name and os.path.isfile(path):
                payload = open(path, "rb").read()
            else:
                status, payload = b"404 Not Found", b""
        elif kind == "collector":
            status, payload = b"204 No Content", b""
        c.sendall(b"HTTP/1.0 " + status + b"\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload)
    return handle


def smtp(c):
    f = c.makefile("rwb")
    f.write(b"220 relay.local ESMTP\r\n"); f.flush()
    data = False
    for line in f:
        if data:
            if line.strip() == b".":
                data = False
                f.write(b"250 queued\r\n"); f.flush()
            continue
        cmd = line.strip().upper()
        if cmd == b"DATA":
            data = True
            f.write(b"354 go ahead\r\n")
        elif cmd == b"QUIT":
            f.write(b"221 bye\r\n"); f.flush()
            return
        else:
            f.write(b"250 ok\r\n")
        f.flush()


def stratum(c):
    f = c.makefile("rwb")
    for _ in f:
        f.write(b'{"id":1,"result":true,"error":null}\n'); f.flush()


def listener(c):
    c.sendall(b"id\nuname -a\nexit\n")
    while c.recv(4096):
        pass


PORTS = {8080: http("files"), 8000: http("ok"), 8086: http("collector"), 3128: http("ok"),
         2525: smtp, 3333: stratum, 4444: listener}


def serve(s, handle):
    while True:
        c, _ = s.accept()
        c.settimeout(10)

        def run(c=c):
            try:
                handle(c)
            except Exception:
                pass
            finally:
                c.close()
        threading.Thread(target=run, daemon=True).start()


socks = []
for port, handle in PORTS.items():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    socks.append(s)
    threading.Thread(target=serve, args=(s, handle), daemon=True).start()
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
open(READY, "w").write("ready\n")
signal.pause()
