#!/usr/bin/env python3
"""An snmpd pass_persist helper for test printers: answers get/getnext for
the subtree snmpd registered it on from a values file of `OID TYPE VALUE`
lines, read again on every request so that a test changes what the
printer reports by rewriting the file (atomically: write, then rename).

usage (in snmpd.conf): pass_persist OID python3 snmp_values.py VALUES_FILE OID
TYPE is a pass_persist type: integer, gauge, counter, counter64, timeticks,
ipaddress, objectid, string, octet (hex bytes, e.g. "40 00").
"""
import sys


def oid_key(oid):
    return tuple(int(part) for part in oid.strip().strip(".").split(".") if part)


def load(path, subtree):
    values = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                parts = line.split(None, 2)
                if len(parts) < 2:
                    continue
                key = oid_key(parts[0])
                if key[: len(subtree)] == subtree:
                    values[key] = (parts[1], parts[2] if len(parts) == 3 else "")
    except FileNotFoundError:
        pass
    return values


def answer(key, hit):
    kind, value = hit
    return "." + ".".join(map(str, key)) + "\n" + kind + "\n" + value + "\n"


def main():
    path, subtree = sys.argv[1], oid_key(sys.argv[2])
    out = sys.stdout
    for command in sys.stdin:
        command = command.strip()
        if command == "PING":
            out.write("PONG\n")
        elif command in ("get", "getnext"):
            key = oid_key(sys.stdin.readline())
            values = load(path, subtree)
            if command == "get":
                found = key if key in values else None
            else:
                later = [k for k in values if k > key]
                found = min(later) if later else None
            out.write(answer(found, values[found]) if found else "NONE\n")
        elif command == "set":
            sys.stdin.readline()
            sys.stdin.readline()
            out.write("not-writable\n")
        elif command == "":
            continue
        out.flush()


if __name__ == "__main__":
    main()
