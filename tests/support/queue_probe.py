#!/usr/bin/env python3
"""Raw clients of the print scout's IPP queue for tests/integration/queue_limits.sh.

Each subcommand prints one line of results and exits; every wait is bounded.
  gpa PORT COUNT VALUE            Get-Printer-Attributes with requested-attributes VALUE
                                  COUNT times: "status=0xNNNN seconds=S"
  idle PORT COUNT READY_FILE SECS COUNT idle connections; writes READY_FILE once all are
                                  open, waits up to SECS for the server to close them:
                                  "opened=N closed=N busy=N seconds=S"
  truncated PORT length|chunked pause|close
                                  Print-Job whose body stops early; pause: waits for the
                                  answer: "http=CODE status=0xIPP seconds=S"
  upload PORT SEND TOTAL STOP_FILE SECS [PIECE EVERY]
                                  Print-Job announcing a TOTAL-byte document; sends SEND
                                  bytes of it (16 KiB each 20 ms), then PIECE bytes (1)
                                  each EVERY seconds (0.5: a paused upload the body
                                  timeout does not end) until the queue answers,
                                  STOP_FILE appears or SECS pass:
                                  "answered=0|1 http=CODE status=0xIPP sent=N seconds=S"
  slow PORT SECS                  sends a header a byte each 0.2 s until the server closes
                                  (or SECS pass): "closed=0|1 seconds=S"
  together PORT CLIENTS COUNT     CLIENTS connections at once, each asking COUNT
                                  Get-Printer-Attributes (all attributes) in turn; an answer
                                  is whole if its body is as long as its Content-Length and
                                  holds one IPP message exactly (each wait at most 10 s):
                                  "answers=N whole=N seconds=S"


  pinjob PORT ENCRYPTION HEX FILE Print-Job of FILE (a PDF) with job-password = the octets
                                  HEX and job-password-encryption ENCRYPTION (what ipptool
                                  2.4 cannot send: it crashes on hex octetString values):
                                  "status=0xNNNN job-id=N unsupported=NAME,...|-"
  pintwice PORT PIN1 PIN2 FILE    Print-Job of FILE with two separate job-password
                                  attributes (encryption none): the same line as pinjob
  pinlate PORT PIN FILE           Create-Job without a job-password, then Send-Document of
                                  FILE with job-password PIN (none if PIN is ""): "create: status=0xNNNN
                                  job-id=N", then "send: " and the same line as pinjob
"""
import os
import select
import selectors
import socket
import struct
import sys
import threading
import time


def attr(tag, name, value):
    return bytes([tag]) + struct.pack(">H", len(name)) + name + struct.pack(">H", len(value)) + value


def ipp_request(port, op, extra=b""):
    uri = b"ipp://127.0.0.1:%d/ipp/print" % port
    return (struct.pack(">BBHI", 2, 0, op, 1) + b"\x01" +
            attr(0x47, b"attributes-charset", b"utf-8") +
            attr(0x48, b"attributes-natural-language", b"en") +
            attr(0x45, b"printer-uri", uri) + extra + b"\x03")


def http_post(body_len, extra_headers=b""):
    return (b"POST /ipp/print HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ipp\r\n" +
            extra_headers + (b"Content-Length: %d\r\n" % body_len if body_len >= 0 else b"") + b"\r\n")


def gpa(port, count, value):
    value = value.encode()
    extra = attr(0x44, b"requested-attributes", value) + attr(0x44, b"", value) * (count - 1)
    body = ipp_request(port, 0x000B, extra)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    start = time.monotonic()
    s.sendall(http_post(len(body)) + body)
    reply = b""
    try:
        while b"\r\n\r\n" not in reply or len(reply) < reply.find(b"\r\n\r\n") + 12:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    except socket.timeout:
        pass
    took = time.monotonic() - start
    print("bytes=%d status=%s seconds=%.3f" % (len(body), ipp_status(reply), took))


def idle(port, count, ready_file, secs):
    sel = selectors.DefaultSelector()
    socks = []
    start = time.monotonic()
    for _ in range(count):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
        sel.register(s, selectors.EVENT_READ)
    with open(ready_file, "w") as f:
        f.write("open\n")
    closed = busy = 0
    deadline = start + secs
    while closed < count and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data.startswith(b"HTTP/1.1 503"):
                busy += 1
            if data == b"" or data.startswith(b"HTTP/1.1 503"):
                closed += 1
                sel.unregister(s)
                s.close()
    for s in socks:
        s.close()
    print("opened=%d closed=%d busy=%d seconds=%.1f" % (count, closed, busy, time.monotonic() - start))


def ipp_status(reply):
    """The IPP status code of an HTTP reply holding an IPP response, or "none"."""
    head_end = reply.find(b"\r\n\r\n")
    if head_end >= 0 and len(reply) >= head_end + 8:
        return "0x%04x" % struct.unpack(">H", reply[head_end + 6:head_end + 8])[0]
    return "none"


def read_reply(s):
    """Everything the server sends until it closes (bounded by the socket's timeout)."""
    reply = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    except OSError:
        pass
    return reply


def upload(port, send, total, stop_file, secs, piece=1, every=0.5):
    """Paced, so the queue has read all that was sent when it refuses:
    its answer then ends the connection with a FIN, not a reset."""
    extra = attr(0x42, b"job-name", b"paused upload") + attr(0x49, b"document-format", b"application/pdf")
    head = ipp_request(port, 0x0002, extra)
    document = b"%PDF-1.4\n" + b"x" * (total - 9)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    start = time.monotonic()
    s.sendall(http_post(len(head) + total) + head)
    sent = 0
    answered = False
    while not answered and time.monotonic() - start < secs and not os.path.exists(stop_file):
        size = 16384 if sent < send else piece
        if sent + size <= total:
            try:
                s.sendall(document[sent:sent + size])
            except OSError:  # the queue answered and closed: read what it said
                answered = True
                break
            sent += size
        readable, _, _ = select.select([s], [], [], 0.02 if sent < send else every)
        answered = bool(readable)
    reply = read_reply(s) if answered else b""
    s.close()
    line = reply.split(b"\r\n", 1)[0].split()
    print("answered=%d http=%s status=%s sent=%d seconds=%.1f" % (
        answered, line[1].decode() if len(line) > 1 else "none", ipp_status(reply), sent,
        time.monotonic() - start))


def truncated(port, how, then):
    """A Print-Job whose body stops early. then=pause: the client waits (socket
    open) for the queue's answer, which comes at its body timeout; then=close:
    the client closes at once."""
    extra = attr(0x42, b"job-name", b"cut-off") + attr(0x49, b"document-format", b"application/pdf")
    head = ipp_request(port, 0x0002, extra)
    part = b"%PDF-1.4\n" + b"x" * 4000
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    if how == "chunked":
        s.sendall(http_post(-1, b"Transfer-Encoding: chunked\r\n"))
        data = head + part
        s.sendall(b"%x\r\n" % len(data) + data + b"\r\n")  # no terminating 0 chunk
    else:
        s.sendall(http_post(len(head) + 100000) + head + part)
    start = time.monotonic()
    reply = read_reply(s) if then == "pause" else b""
    s.close()
    status = ipp_status(reply)
    print("http=%s status=%s seconds=%.1f" % (
        reply.split(b" ", 2)[1].decode() if reply.startswith(b"HTTP/") else "none", status,
        time.monotonic() - start))


def slow(port, secs):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(0.2)
    header = b"POST /ipp/print HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 1000
    start = time.monotonic()
    closed = 0
    for byte in header:
        if time.monotonic() - start > secs:
            break
        try:
            s.send(bytes([byte]))
            if s.recv(1) == b"":
                closed = 1
                break
        except socket.timeout:
            continue
        except OSError:
            closed = 1
            break
    print("closed=%d seconds=%.1f" % (closed, time.monotonic() - start))


def one_ipp_message(body):
    """True if body is one whole IPP message, its end-of-attributes tag last."""
    i = 8
    while i < len(body):
        tag = body[i]
        i += 1
        if tag == 0x03:
            return i == len(body)
        if tag < 0x10:
            continue
        if i + 2 > len(body):
            return False
        i += 2 + struct.unpack(">H", body[i:i + 2])[0]
        if i + 2 > len(body):
            return False
        i += 2 + struct.unpack(">H", body[i:i + 2])[0]
    return False


def read_answer(s, pending):
    """One HTTP answer from s (pending: bytes already read past the last one):
    (whole, pending), whole None if the connection closed or went quiet."""
    try:
        while b"\r\n\r\n" not in pending:
            chunk = s.recv(65536)
            if not chunk:
                return None, b""
            pending += chunk
        head, pending = pending.split(b"\r\n\r\n", 1)
        length = -1
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(pending) < length:
            chunk = s.recv(65536)
            if not chunk:
                return None, b""
            pending += chunk
    except OSError:
        return None, b""
    return length >= 0 and one_ipp_message(pending[:length]), pending[max(length, 0):]


def together(port, clients, count):
    body = ipp_request(port, 0x000B)
    request = http_post(len(body)) + body
    tally = {"answers": 0, "whole": 0}
    lock = threading.Lock()
    start_line = threading.Barrier(clients)

    def client():
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        pending = b""
        start_line.wait()
        for _ in range(count):
            s.sendall(request)
            whole, pending = read_answer(s, pending)
            if whole is None:
                break
            with lock:
                tally["answers"] += 1
                tally["whole"] += whole
        s.close()

    start = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("answers=%d whole=%d seconds=%.1f" % (tally["answers"], tally["whole"],
                                                 time.monotonic() - start))


def exchange(port, body):
    """Sends one IPP request over its own connection; returns the IPP answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(http_post(len(body)) + body)
    reply = b""
    while True:  # the queue answers, then closes or keeps alive: read what the length says
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
        head_end = reply.find(b"\r\n\r\n")
        if head_end >= 0:
            head = reply[:head_end].decode("latin-1").lower()
            length = [int(l.split(":")[1]) for l in head.split("\r\n") if l.startswith("content-length:")]
            if length and len(reply) >= head_end + 4 + length[0]:
                break
            if not length and reply.endswith(b"0\r\n\r\n"):
                break
    s.close()
    ipp = reply[reply.find(b"\r\n\r\n") + 4:]
    if b"transfer-encoding: chunked" in reply[:reply.find(b"\r\n\r\n")].lower():
        data, rest = b"", ipp
        while rest:
            size_end = rest.find(b"\r\n")
            size = int(rest[:size_end], 16)
            if size == 0:
                break
            data += rest[size_end + 2:size_end + 2 + size]
            rest = rest[size_end + 4 + size:]
        ipp = data
    return ipp


def answer(ipp):
    """status, job-id (0: none) and the names in the unsupported-attributes group."""
    status = struct.unpack(">H", ipp[2:4])[0]
    job_id, unsupported, group, name, i = 0, [], None, None, 8
    while i < len(ipp):
        tag = ipp[i]
        i += 1
        if tag < 0x10:
            group = tag
            if tag == 0x03:
                break
            continue
        name_len = struct.unpack(">H", ipp[i:i + 2])[0]
        name = ipp[i + 2:i + 2 + name_len].decode() or name
        i += 2 + name_len
        value_len = struct.unpack(">H", ipp[i:i + 2])[0]
        value = ipp[i + 2:i + 2 + value_len]
        i += 2 + value_len
        if name == "job-id" and tag == 0x21 and not job_id:
            job_id = struct.unpack(">i", value)[0]
        if group == 0x05 and name not in unsupported:
            unsupported.append(name)
    return status, job_id, unsupported


def said(ipp):
    status, job_id, unsupported = answer(ipp)
    return "status=0x%04x job-id=%d unsupported=%s" % (status, job_id, ",".join(unsupported) or "-")


def pinjob(port, encryption, password_hex, path):
    with open(path, "rb") as f:
        document = f.read()
    extra = (attr(0x42, b"job-name", b"pin job") + attr(0x49, b"document-format", b"application/pdf") +
             attr(0x30, b"job-password", bytes.fromhex(password_hex)) +
             attr(0x44, b"job-password-encryption", encryption.encode()))
    print(said(exchange(port, ipp_request(port, 0x0002, extra) + document)))


def pintwice(port, first, second, path):
    with open(path, "rb") as f:
        document = f.read()
    extra = (attr(0x42, b"job-name", b"pin twice") + attr(0x49, b"document-format", b"application/pdf") +
             attr(0x30, b"job-password", first.encode()) + attr(0x30, b"job-password", second.encode()))
    print(said(exchange(port, ipp_request(port, 0x0002, extra) + document)))


def pinlate(port, pin, path):
    with open(path, "rb") as f:
        document = f.read()
    user = attr(0x42, b"job-name", b"pin late")
    status, job_id, _ = answer(exchange(port, ipp_request(port, 0x0005, user)))
    print("create: status=0x%04x job-id=%d" % (status, job_id))
    extra = (attr(0x21, b"job-id", struct.pack(">i", job_id)) +
             attr(0x49, b"document-format", b"application/pdf") +
             attr(0x22, b"last-document", b"\x01") +
             (attr(0x30, b"job-password", pin.encode()) if pin else b""))
    print("send: " + said(exchange(port, ipp_request(port, 0x0006, extra) + document)))


if __name__ == "__main__":
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "gpa":
        gpa(port, int(sys.argv[3]), sys.argv[4])
    elif cmd == "idle":
        idle(port, int(sys.argv[3]), sys.argv[4], float(sys.argv[5]))
    elif cmd == "truncated":
        truncated(port, sys.argv[3], sys.argv[4])
    elif cmd == "upload":
        pace = (int(sys.argv[7]), float(sys.argv[8])) if len(sys.argv) > 8 else ()
        upload(port, int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], float(sys.argv[6]), *pace)
    elif cmd == "slow":
        slow(port, float(sys.argv[3]))
    elif cmd == "together":
        together(port, int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "pinjob":
        pinjob(port, sys.argv[3], sys.argv[4], sys.argv[5])
    elif cmd == "pintwice":
        pintwice(port, sys.argv[3], sys.argv[4], sys.argv[5])
    elif cmd == "pinlate":
        pinlate(port, sys.argv[3], sys.argv[4])
