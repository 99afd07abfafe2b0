#!/usr/bin/env python3
"""Sends hand-made bytes to an HTTPS server, as an attacker would, and
prints what came back, then one last line: CLOSED if the server closed the
connection, OPEN if it was still open after the wait.

usage: raw_http.py HOST PORT CA_FILE < request-bytes
"""
import socket
import ssl
import sys

host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
payload = sys.stdin.buffer.read()
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["http/1.1"])
with socket.create_connection((host, port), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname=host) as s:
        s.sendall(payload)
        got, state = b"", "OPEN"
        s.settimeout(5)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    state = "CLOSED"
                    break
                got += chunk
        except socket.timeout:
            pass
        except (ConnectionResetError, ssl.SSLError):
            state = "CLOSED"
        sys.stdout.buffer.write(got)
        sys.stdout.write("\n" + state + "\n")
