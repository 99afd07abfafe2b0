#!/usr/bin/env python3
"""Counts the TCP payload bytes one process sends and receives to some ports,
from the kernel's own per-socket counters (tcp_info bytes_sent and
bytes_received, as `ss -i` shows them), for bench/bandwidth.

usage: socket_bytes.py PID_FILE PORT...
  PID_FILE holds the process's pid (re-read at every sample, so the process
  may be restarted); PORT... are the remote ports whose connections count.
  Commands on stdin, one a line, each answered with one line on stdout:
    total   -> "total PORT:SENT:RECEIVED... SOCKETS UNSEEN": per port, the
               bytes since the start of every connection the process has had
               to it, closed ones with their final counters; SOCKETS counts
               those connections; UNSEEN counts connections to those ports
               that closed before any sample saw their owner (they may or
               may not have been the process's; the bench reports them)
    open    -> "open PORT:N ...": the process's established connections per
               port (one the peer closed and the process has not is not)

Closed connections count in full: `ss -E` reports each socket the kernel
destroys with its final counters, and a sample every 20 ms maps each live
socket to its owner through /proc/PID/fd (socket inodes), so a connection is
attributed as soon as it has lived 20 ms; the bench's connections live
seconds (kept alive) or hours (MQTT).
"""
import os
import re
import subprocess
import sys
import threading
import time

SAMPLE_SECONDS = 0.02
HEAD = re.compile(r"^(\S+)\s+\d+\s+\d+\s+(\S+):(\d+)\s+(\S+):(\d+)(.*)$")


def ss_filter(ports):
    return "( " + " or ".join("dport = :%d" % p for p in ports) + " )"


def parse(lines):
    """Yields (state, local_port, remote_port, head_rest, info) for ss -tieH output."""
    head = None
    for line in lines:
        if not line.strip():
            continue
        if line[0] in " \t":
            if head:
                yield head + (line,)
            head = None
            continue
        m = HEAD.match(line)
        head = (m.group(1), int(m.group(3)), int(m.group(5)), m.group(6)) if m else None


def counter(info, name):
    m = re.search(r"\b%s:(\d+)" % name, info)
    return int(m.group(1)) if m else 0


class Meter:
    def __init__(self, pid_file, ports):
        self.pid_file = pid_file
        self.ports = ports
        self.lock = threading.Lock()
        # (local port, remote port) -> the connection of that key now or last
        self.conns = {}
        self.closed = []  # (remote port, sent, received) of its closed connections, final
        self.unseen = 0

    def pid_sockets(self):
        try:
            with open(self.pid_file) as f:
                pid = f.read().strip()
            inodes = set()
            for fd in os.listdir("/proc/%s/fd" % pid):
                link = os.readlink("/proc/%s/fd/%s" % (pid, fd))
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
            return inodes
        except OSError:
            return set()  # between a stop and a start: no process, no socket

    def sample(self):
        taken = time.monotonic()
        inodes = self.pid_sockets()
        out = subprocess.run(["ss", "-tieH", "state", "connected", ss_filter(self.ports)],
                             capture_output=True, text=True, check=True).stdout
        with self.lock:
            for state, lport, rport, rest, info in parse(out.splitlines()):
                m = re.search(r"\bino:(\d+)", rest + info)
                key = (lport, rport)
                c = self.conns.get(key)
                if c and c["closed_at"] is not None:
                    if c["closed_at"] >= taken:
                        continue  # this sample saw it before it closed
                    c = None  # the port was used again: a new connection
                if c is None:
                    c = {"ours": None, "sent": 0, "received": 0, "closed_at": None}
                    self.conns[key] = c
                # a socket may be sampled before the pid file names its new owner
                if not c["ours"] and m and m.group(1) != "0":
                    c["ours"] = m.group(1) in inodes
                c["state"] = state
                c["sent"] = counter(info, "bytes_sent")
                c["received"] = counter(info, "bytes_received")

    def on_destroyed(self, lport, rport, info):
        with self.lock:
            c = self.conns.get((lport, rport))
            if c is None or c["closed_at"] is not None or c["ours"] is None:
                self.unseen += 1
                return
            c["closed_at"] = time.monotonic()
            if c["ours"]:
                self.closed.append((rport, counter(info, "bytes_sent"),
                                    counter(info, "bytes_received")))

    def watch_destroyed(self, ready):
        # line-buffered, so that each event arrives as it happens
        p = subprocess.Popen(["stdbuf", "-oL", "ss", "-E", "-tiH", ss_filter(self.ports)],
                             stdout=subprocess.PIPE, text=True)
        ready.set()
        for _, lport, rport, _, info in parse(p.stdout):
            self.on_destroyed(lport, rport, info)

    def sample_forever(self):
        while True:
            self.sample()
            time.sleep(SAMPLE_SECONDS)

    def total(self):
        self.sample()
        with self.lock:
            live = [(rport, c["sent"], c["received"]) for (_, rport), c in self.conns.items()
                    if c["ours"] and c["closed_at"] is None]
            per_port = {p: [0, 0] for p in self.ports}
            for rport, sent, received in self.closed + live:
                per_port[rport][0] += sent
                per_port[rport][1] += received
            return "total %s %d %d" % (" ".join("%d:%d:%d" % (p, s, r) for p, (s, r) in
                                                sorted(per_port.items())),
                                       len(self.closed) + len(live), self.unseen)

    def open(self):
        self.sample()
        with self.lock:
            counts = {p: 0 for p in self.ports}
            for (_, rport), c in self.conns.items():
                if c["ours"] and c["closed_at"] is None and c["state"] == "ESTAB":
                    counts[rport] += 1
            return "open " + " ".join("%d:%d" % kv for kv in sorted(counts.items()))


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: socket_bytes.py PID_FILE PORT...")
    meter = Meter(sys.argv[1], [int(p) for p in sys.argv[2:]])
    ready = threading.Event()
    threading.Thread(target=meter.watch_destroyed, args=(ready,), daemon=True).start()
    ready.wait()
    threading.Thread(target=meter.sample_forever, daemon=True).start()
    print("ready", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "total":
            print(meter.total(), flush=True)
        elif command == "open":
            print(meter.open(), flush=True)
        else:
            print("error unknown command %r" % command, flush=True)


if __name__ == "__main__":
    main()
