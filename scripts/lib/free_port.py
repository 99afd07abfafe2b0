#!/usr/bin/env python3
"""Prints a free loopback port for a peer the stack or a test starts.

usage: free_port.py OWNER_PID [tcp|udp]

Ports come from below the kernel's ephemeral range: a port found free by a bind
to port 0 lies inside that range, and between closing the probe and the peer's
own bind any outgoing connection on the machine may be handed the same port
(a parallel test's ippeveprinter then failed with "Address already in use").
Below the range only an explicit bind takes a port.

Two tests picking at once must not pick the same port, so each pick is claimed
with a lock directory (mkdir is atomic) holding the owner's pid; a claim whose
owner has exited is taken over. Claims are never released otherwise: the range
is large and every claim dies with its test.
"""
import errno
import os
import random
import socket
import sys
import tempfile

LOWEST = 15000


def ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def owner_alive(lock):
    try:
        with open(os.path.join(lock, "owner")) as f:
            pid = int(f.read())
    except (OSError, ValueError):
        return True  # being written by its claimer right now
    try:
        os.kill(pid, 0)
    except OSError as e:
        return e.errno == errno.EPERM
    return True


def claim(locks, port, owner):
    lock = os.path.join(locks, str(port))
    try:
        os.mkdir(lock)
    except FileExistsError:
        if owner_alive(lock):
            return False
        stale = f"{lock}.stale.{os.getpid()}"
        try:
            os.rename(lock, stale)  # only one taker wins the rename
        except OSError:
            return False
        for name in os.listdir(stale):
            os.unlink(os.path.join(stale, name))
        os.rmdir(stale)
        return claim(locks, port, owner)
    with open(os.path.join(lock, "owner"), "w") as f:
        f.write(str(owner))
    return True


def bindable(port, kind):
    kinds = [socket.SOCK_STREAM, socket.SOCK_DGRAM] if kind == "both" else \
        [socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM]
    for type_ in kinds:
        for address in ("0.0.0.0", "127.0.0.1"):
            s = socket.socket(socket.AF_INET, type_)
            try:
                s.bind((address, port))
            except OSError:
                return False
            finally:
                s.close()
    return True


def main():
    owner = int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid()
    kind = sys.argv[2] if len(sys.argv) > 2 else "both"
    locks = os.path.join(tempfile.gettempdir(), f"securerelease-ports-{os.getuid()}")
    os.makedirs(locks, exist_ok=True)
    high = ephemeral_low() - 1
    low = LOWEST if high - LOWEST >= 2000 else 1024
    for _ in range(2000):
        port = random.randint(low, high)
        if bindable(port, kind) and claim(locks, port, owner):
            if bindable(port, kind):
                print(port)
                return 0
    print("free_port.py: no free port found below the ephemeral range", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
