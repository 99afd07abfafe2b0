#!/usr/bin/env python3
"""A RAW (port 9100 style) printer that can be slow: it takes one connection
at a time and writes what it receives to DIR/job-N.prn (N from 1), renamed
from job-N.prn.part when the sender closes. While the file SLOW_FLAG exists
it reads 16 KiB every 50 ms (about 320 KB/s) through a small receive
buffer, so a large document takes a while to send. Prints its port.
usage: slow_sink.py DIR SLOW_FLAG
"""
import os
import socket
import sys
import time

out_dir, slow_flag = sys.argv[1:3]
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)  # inherited by each connection
server.bind(("127.0.0.1", 0))
server.listen(4)
print("port", server.getsockname()[1], flush=True)
count = 0
while True:
    conn, _ = server.accept()
    count += 1
    part = os.path.join(out_dir, "job-%d.prn.part" % count)
    with open(part, "wb") as f:
        while True:
            data = conn.recv(16384)
            if not data:
                break
            f.write(data)
            f.flush()
            if os.path.exists(slow_flag):
                time.sleep(0.05)
    conn.close()
    os.rename(part, part[: -len(".part")])
