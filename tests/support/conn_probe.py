#!/usr/bin/env python3
"""Slow and idle clients of an HTTPS API, for tests/integration/api_connections.sh.
Every mode is bounded by its own deadline and closes its sockets on exit.

usage: conn_probe.py hold HOST PORT CA N SECONDS
         opens N TLS connections and sends nothing; prints "open K" once
         the handshakes are done, then "closed K T" each time the number the
         server has closed changes (T: seconds since "open"), until all are
         closed or SECONDS passed
       conn_probe.py slow HOST PORT CA SECONDS
         sends a request head one byte a second; prints "dropped after T s,
         B bytes sent" when the server closes, or "not dropped" at SECONDS
       conn_probe.py slowbody HOST PORT CA SECONDS
         sends a whole request head announcing a 1000-byte JSON body, then
         the body one byte a second; prints "dropped after T s, B bytes of
         the body sent" (T counted from the head) or "not dropped"
       conn_probe.py slowlarge HOST PORT CA SECONDS
         the same with Content-Length 10000000 (over any max_body: refused
         413 once drained)
       conn_probe.py slowtext HOST PORT CA SECONDS
         the same with Content-Type text/plain (refused 415 once drained)
       conn_probe.py kept HOST PORT CA SECONDS
         sends one request, reads its answer, then keeps the connection
         idle; prints "closed after T s, answered STATUS" (T counted from
         the answer) or "not closed ..."
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
    opened = time.monotonic()
    closed, last = set(), -1
    while len(closed) < len(socks) and time.monotonic() < deadline:
        live = [s for s in socks if s not in closed]
        ready, _, _ = select.select(live[:1000], [], [], 0.2)
        for s in ready:
            if server_closed(s):
                closed.add(s)
        if len(closed) != last:
            last = len(closed)
            print("closed", last, "%.1f" % (time.monotonic() - opened), flush=True)
    for s in socks:
        s.close()


def trickle(s, data, seconds):
    """Sends data a byte a second; (seconds it took until the server
    closed, bytes sent), or (None, bytes sent) if it did not in time."""
    start = time.monotonic()
    sent = 0
    while time.monotonic() - start < seconds:
        try:
            s.sendall(data[sent % len(data):sent % len(data) + 1])
            sent += 1
        except (OSError, ssl.SSLError):
            break
        # a second between bytes, but wake at once when the server closes
        ready, _, _ = select.select([s], [], [], 1.0)
        if ready and server_closed(s):
            break
    else:
        return None, sent
    return time.monotonic() - start, sent


def slow(host, port, ca, seconds, head=b"", data=None, what="bytes"):
    """Sends head at once, then data a byte a second (by default a
    request head that never ends)."""
    if data is None:
        data = b"GET /api/v1/panel/jobs HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 200
    s = connect(host, port, ca)
    s.sendall(head)
    took, sent = trickle(s, data, seconds)
    s.close()
    if took is None:
        print("not dropped after %s s, %d %s sent" % (seconds, sent, what), flush=True)
    else:
        print("dropped after %.1f s, %d %s sent" % (took, sent, what), flush=True)


def slowbody(host, port, ca, seconds, length=1000, type_=b"application/json"):
    head = (b"POST /api/v1/panel/sessions HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: " + type_ + b"\r\nContent-Length: %d\r\n\r\n" % length)
    slow(host, port, ca, seconds, head, b'{"device":"' + b"a" * 1000, "bytes of the body")


def kept(host, port, ca, seconds):
    s = connect(host, port, ca)
    s.settimeout(10)
    s.sendall(b"GET /api/v1/panel/jobs HTTP/1.1\r\nHost: localhost\r\n\r\n")
    answer = s.recv(4096).split(b"\r\n", 1)[0].split()
    status = answer[1].decode() if len(answer) >= 2 else "none"
    start = time.monotonic()
    closed = False
    while not closed and time.monotonic() - start < seconds:
        ready, _, _ = select.select([s], [], [], 0.2)
        closed = bool(ready) and server_closed(s)
    s.close()
    if closed:
        print("closed after %.1f s, answered %s" % (time.monotonic() - start, status), flush=True)
    else:
        print("not closed after %s s, answered %s" % (seconds, status), flush=True)


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
elif mode == "slowbody":
    slowbody(host, port, ca, float(sys.argv[5]))
elif mode == "slowlarge":
    slowbody(host, port, ca, float(sys.argv[5]), length=10000000)
elif mode == "slowtext":
    slowbody(host, port, ca, float(sys.argv[5]), type_=b"text/plain")
elif mode == "kept":
    kept(host, port, ca, float(sys.argv[5]))
elif mode == "ask":
    ask(host, port, ca, int(sys.argv[5]))
else:
    sys.exit("unknown mode " + mode)
