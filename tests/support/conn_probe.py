#!/usr/bin/env python3
"""Slow and idle clients of an HTTPS API, for tests/integration/api_connections.sh.
Every mode is bounded by its own deadline and closes its sockets on exit.

usage: conn_probe.py hold HOST PORT CA N SECONDS
         opens N TLS connections and sends nothing; prints "open K" once
         the handshakes are done, then "closed K" each time the number the
         server has closed changes, until all are closed or SECONDS passed
       conn_probe.py slow HOST PORT CA SECONDS
         sends a request head one byte a second; prints "dropped after T s,
         B bytes sent" when the server closes, or "not dropped" at SECONDS
       conn_probe.py ask HOST PORT CA N
         opens N connections, then sends a GET on each and prints how many
         got each status, e.g. "503:40 404:10" ("none" for no answer)
"""
import select
import socket
import ssl
import sys
import time


def connect(host, port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["http/1.1"])
    raw = socket.create_connection((host, port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname=host)


def server_closed(s):
    """True once the server closed (EOF, reset or a TLS alert)."""
    try:
        s.setblocking(False)
        return s.recv(4096) == b""
    except (ssl.SSLWantReadError, BlockingIOError):
        return False
    except (OSError, ssl.SSLError):
        return True


def hold(host, port, ca, n, seconds):
    deadline = time.monotonic() + seconds
    socks = [connect(host, port, ca) for _ in range(n)]
    print("open", len(socks), flush=True)
    closed, last = set(), -1
    while len(closed) < len(socks) and time.monotonic() < deadline:
        live = [s for s in socks if s not in closed]
        ready, _, _ = select.select(live[:1000], [], [], 0.2)
        for s in ready:
            if server_closed(s):
                closed.add(s)
        if len(closed) != last:
            last = len(closed)
            print("closed", last, flush=True)
    for s in socks:
        s.close()


def slow(host, port, ca, seconds):
    head = b"GET /api/v1/panel/jobs HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 200
    s = connect(host, port, ca)
    start = time.monotonic()
    sent = 0
    while time.monotonic() - start < seconds:
        try:
            s.sendall(head[sent % len(head):sent % len(head) + 1])
            sent += 1
        except (OSError, ssl.SSLError):
            break
        # a second between bytes, but wake at once when the server closes
        ready, _, _ = select.select([s], [], [], 1.0)
        if ready and server_closed(s):
            break
    else:
        print("not dropped after", seconds, "s,", sent, "bytes sent", flush=True)
        s.close()
        return
    print("dropped after %.1f s, %d bytes sent" % (time.monotonic() - start, sent), flush=True)
    s.close()


def ask(host, port, ca, n):
    socks = [connect(host, port, ca) for _ in range(n)]
    counts = {}
    for s in socks:
        status = "none"
        try:
            s.settimeout(10)
            s.sendall(b"GET /api/v1/panel/jobs HTTP/1.1\r\nHost: localhost\r\n\r\n")
            line = s.recv(4096).split(b"\r\n", 1)[0].split()
            if len(line) >= 2:
                status = line[1].decode()
        except (OSError, ssl.SSLError):
            pass
        counts[status] = counts.get(status, 0) + 1
    for s in socks:
        s.close()
    print(" ".join("%s:%d" % kv for kv in sorted(counts.items())), flush=True)


mode, host, port, ca = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if mode == "hold":
    hold(host, port, ca, int(sys.argv[5]), float(sys.argv[6]))
elif mode == "slow":
    slow(host, port, ca, float(sys.argv[5]))
elif mode == "ask":
    ask(host, port, ca, int(sys.argv[5]))
else:
    sys.exit("unknown mode " + mode)
