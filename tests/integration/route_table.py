#!/usr/bin/python3
"""Holds each API's route table against its OpenAPI document: every route
the service serves is documented with that method, every documented
operation is served, and the body fields a route accepts are exactly the
requestBody schema's properties (the union over oneOf alternatives).
usage: route_table.py SR_CLOUD SR_DEVICE_SCOUT CLOUD_YAML PANEL_YAML"""
import json
import subprocess
import sys

import yaml

METHODS = ("get", "put", "post", "delete", "patch")
passed = failed = 0


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}{': ' + detail if detail else ''}")


def resolve(doc, schema):
    while "$ref" in schema:  # only local references: "#/components/schemas/X"
        node = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def properties(doc, schema):
    """The property names a body may carry: its own and every alternative's."""
    schema = resolve(doc, schema)
    names = set(schema.get("properties", {}))
    for key in ("oneOf", "anyOf", "allOf"):
        for alternative in schema.get(key, []):
            names |= properties(doc, alternative)
    return names


def documented(doc):
    ops = {}
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            body = item[method].get("requestBody")
            fields = None
            if body and "application/json" in body["content"]:
                fields = properties(doc, body["content"]["application/json"]["schema"])
            elif body:  # a file (a job copy): no JSON fields
                fields = set()
            ops[(method.upper(), path)] = fields
    return ops


def compare(name, binary, yaml_path):
    table = json.loads(subprocess.run([binary, "--routes"], check=True, capture_output=True,
                                      text=True).stdout)
    with open(yaml_path) as f:
        doc = yaml.safe_load(f)
    ops = documented(doc)
    check(f"{name}: --routes lists routes", len(table) > 0)
    served = {}
    for route in table:
        key = (route["method"], route["path"])
        check(f"{name}: {key[0]} {key[1]} appears once in the table", key not in served)
        served[key] = set(route["fields"])
    for key in sorted(served):
        check(f"{name}: {key[0]} {key[1]} is documented in {yaml_path}", key in ops)
    for key in sorted(ops):
        check(f"{name}: documented {key[0]} {key[1]} is served", key in served)
    for key in sorted(set(served) & set(ops)):
        want = ops[key] if ops[key] is not None else set()
        got = served[key]
        check(f"{name}: {key[0]} {key[1]} accepts the documented body fields", got == want,
              f"accepted but undocumented {sorted(got - want)}, documented but refused "
              f"{sorted(want - got)}")
        check(f"{name}: {key[0]} {key[1]} takes a body exactly when one is documented",
              (ops[key] is not None) == bool(got) or (ops[key] == set() and not got))


cloud, site, cloud_yaml, panel_yaml = sys.argv[1:5]
compare("cloud", cloud, cloud_yaml)
compare("panel", site, panel_yaml)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed < 40 else 0)
