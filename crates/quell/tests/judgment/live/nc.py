#!/usr/bin/python3
# stand-in netcat (named nc in the image and on the scratch bin dir): `nc -z HOST PORT` probes a
# port; `nc [-e PROG] HOST PORT` connects, and with -e runs PROG with the socket as its
# stdin/stdout/stderr (what `nc -e /bin/sh` does in a reverse shell). Loopback use only.
import os, socket, sys
a = sys.argv[1:]
prog = None
zero = False
while a and a[0].startswith("-"):
    o = a.pop(0)
    if o == "-z":
        zero = True
    elif o in ("-e", "-c"):
        prog = a.pop(0)
    elif o == "-w":
        a.pop(0)
host, port = a[0], int(a[1])
s = socket.create_connection((host, port), timeout=5)
if zero:
    sys.exit(0)
if prog:
    for fd in (0, 1, 2):
        os.dup2(s.fileno(), fd)
    os.execv("/bin/sh", ["sh", "-c", prog] if " " in prog else [prog])
data = sys.stdin.buffer.read()
s.sendall(data)
s.shutdown(socket.SHUT_WR)
while s.recv(4096):
    pass
