#!/usr/bin/env python3
"""Every REST call the console's and the portal's pages made in the browser tests is in the
OpenAPI file (docs/api/cloud.yaml), with its method: the pages call nothing
undocumented. Reads the calls the browser tests logged (api-calls.txt in
each test's output directory: "METHOD /api/v1/..." per line) and matches
each path against the file's path templates ({id} matches one segment).

usage: console_api_coverage.py OPENAPI_FILE CALL_LOG...
Each call log must exist and hold calls (else its browser test did not
run: this test would prove nothing)."""
import os
import re
import sys

import yaml


def main():
    spec = yaml.safe_load(open(sys.argv[1]))
    templates = []
    for path, item in spec["paths"].items():
        parts = re.split(r"\{[^/]+\}", path)
        pattern = "^" + "[^/]+".join(re.escape(x) for x in parts) + "$"
        templates.append((re.compile(pattern), {m.upper() for m in item if m in ("get", "post", "put", "patch", "delete")}))
    calls = set()
    for log in sys.argv[2:]:
        logged = {line.strip() for line in open(log) if line.strip()} if os.path.exists(log) else set()
        if not logged:
            print(f"FAIL: no calls in {log} (its browser test did not run or made none)")
            return 1
        calls |= logged
    missing = []
    for call in sorted(calls):
        method, path = call.split(" ", 1)
        if not any(rx.match(path) and method in methods for rx, methods in templates):
            missing.append(call)
    for m in missing:
        print(f"FAIL: {m} is not in {sys.argv[1]}")
    print(f"{len(calls) - len(missing)} passed, {len(missing)} failed ({len(calls)} distinct calls)")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
