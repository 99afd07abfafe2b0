#!/usr/bin/env python3
"""Lists the SQL statements of the cloud (services/cloud/*.c) with their
argument types, as JSON, for test_pg_statements: every call of
cloud_db_run / cloud_db_rows / cloud_db_row whose statement is string
literals (joined as C joins them), with the file's own string macros
expanded. A statement built at run time is not listed; the count of those
is printed to stderr so that a change in coverage shows.

usage: cloud_statements.py SOURCE_DIR > statements.json"""
import glob
import json
import os
import re
import sys

CALL = re.compile(r"cloud_db_(?:run|rows|row)\(")
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
DEFINE = re.compile(r"#define\s+([A-Z_][A-Z0-9_]*)(?:\s|\\\n)+((?:\"(?:[^\"\\]|\\.)*\"(?:\s|\\\n)*)+)")


def unescape(text):
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


def macros_of(source):
    found = {}
    for m in DEFINE.finditer(source):
        found[m.group(1)] = "".join(unescape(s) for s in LITERAL.findall(m.group(2)))
    return found


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def arguments(source, start):
    """The top-level arguments of the call whose '(' ends at `start`."""
    depth, quote, args, current = 1, False, [], []
    i = start
    while i < len(source) and depth:
        ch = source[i]
        if quote:
            current.append(ch)
            if ch == "\\":
                current.append(source[i + 1])
                i += 1
            elif ch == '"':
                quote = False
        elif ch == '"':
            quote = True
            current.append(ch)
        elif ch in "([{":
            depth += 1
            current.append(ch)
        elif ch in ")]}":
            depth -= 1
            if depth:
                current.append(ch)
        elif ch == "," and depth == 1:
            args.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    args.append("".join(current).strip())
    return args


def literal_value(expr, macros):
    """The string an expression of literals and macros makes, or None."""
    expr = strip_comments(expr)
    parts = []
    for token in re.findall(r'"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*|\S', expr):
        if token.startswith('"'):
            parts.append(unescape(token[1:-1]))
        elif token in macros:
            parts.append(macros[token])
        elif token in "()":
            continue
        else:
            return None
    return "".join(parts) if parts else None


def main():
    src = sys.argv[1]
    statements, dynamic = [], 0
    for path in sorted(glob.glob(os.path.join(src, "services/cloud/*.c"))):
        if os.path.basename(path).startswith("db"):
            continue
        source = open(path, encoding="utf-8").read()
        macros = macros_of(source)
        for m in CALL.finditer(source):
            args = arguments(source, m.end())
            if len(args) < 3:
                continue
            sql, types = literal_value(args[1], macros), literal_value(args[2], {})
            if sql is None or types is None:
                dynamic += 1
                if os.environ.get("SHOW_DYNAMIC"):
                    print("dynamic:", path, source.count("\n", 0, m.start()) + 1, file=sys.stderr)
                continue
            line = source.count("\n", 0, m.start()) + 1
            statements.append({"where": f"{os.path.relpath(path, src)}:{line}", "sql": sql,
                               "types": types})
    json.dump(statements, sys.stdout, indent=1)
    print(f"cloud_statements.py: {len(statements)} statements listed, {dynamic} built at run "
          "time not listed", file=sys.stderr)


if __name__ == "__main__":
    main()
