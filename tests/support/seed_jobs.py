#!/usr/bin/env python3
"""Seeds COUNT jobs into a tenant of the cloud's SQLite database, for scale
checks of the paged job list and the overview (console_api, the console's
browser tests). Safe beside a running cloud (WAL mode, one transaction).

The jobs belong to the tenant's first user and print scout, are spread over
the last DAYS days, and are printed, expired or held (held ones never expire
during a test: expires_at a year ahead). Titles are "Seeded report N".

usage: seed_jobs.py DB TENANT COUNT [DAYS]
       seed_jobs.py --psql CONNINFO TENANT COUNT [DAYS]
         the same jobs in the cloud's PostgreSQL database (a libpq
         connection string with its dbname), made by PostgreSQL itself in
         one statement (psql)
prints the number of jobs inserted."""
import sqlite3
import subprocess
import sys
import time


def seed_postgresql(conninfo, tenant, count, days):
    """The same rows as main() writes, as one INSERT ... SELECT."""
    now = int(time.time())
    span = days * 86400 - 120
    q = tenant.replace("'", "''")
    at = f"({now} - 60 - {span} + ({span}::bigint * i) / greatest({count}, 1))"
    state = "(ARRAY['printed', 'printed', 'expired', 'held'])[i % 4 + 1]"
    sql = f"""
INSERT INTO jobs(tenant, id, owner, scout, title, pages, copies, sides, color, format, size,
                 submitted_at, state, reason, updated_at, expires_at, sequence)
SELECT '{q}', 'seed' || lpad(i::text, 7, '0'), o.id, s.id, 'Seeded report ' || i, 1 + i % 9, 1,
       'one-sided', 'monochrome', 'application/pdf', 1000, {at}, {state},
       CASE WHEN {state} = 'expired' THEN 'not released in time' END,
       CASE WHEN {state} = 'held' THEN {at} ELSE {at} + 600 END,
       CASE WHEN {state} = 'held' THEN {now + 365 * 86400} END, i
FROM generate_series(0, {count - 1}) AS i,
     (SELECT id FROM users WHERE tenant = '{q}' ORDER BY created_at LIMIT 1) AS o,
     (SELECT id FROM scouts WHERE tenant = '{q}' AND kind = 'print' LIMIT 1) AS s"""
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", conninfo, "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)
    print(count)


def main():
    if sys.argv[1] == "--psql":
        seed_postgresql(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                        int(sys.argv[5]) if len(sys.argv) > 5 else 30)
        return
    db_path, tenant, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    days = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    db = sqlite3.connect(db_path, timeout=30)
    owner = db.execute("SELECT id FROM users WHERE tenant = ? ORDER BY created_at LIMIT 1",
                       (tenant,)).fetchone()
    scout = db.execute("SELECT id FROM scouts WHERE tenant = ? AND kind = 'print' LIMIT 1",
                       (tenant,)).fetchone()
    if not owner or not scout:
        sys.exit(f"tenant {tenant} has no user or no print scout to own the jobs")
    now = int(time.time())
    # oldest first, one every span/count seconds, ending a minute ago
    span = days * 86400 - 120
    states = ("printed", "printed", "expired", "held")

    def rows():
        for i in range(count):
            at = now - 60 - span + (span * i) // max(count, 1)
            state = states[i % len(states)]
            yield (tenant, f"seed{i:07d}", owner[0], scout[0], f"Seeded report {i}", 1 + i % 9,
                   1, "one-sided", "monochrome", "application/pdf", 1000, at, state,
                   None if state != "expired" else "not released in time",
                   at + 600 if state != "held" else at, now + 365 * 86400 if state == "held"
                   else None, i)

    with db:
        db.executemany(
            "INSERT INTO jobs(tenant, id, owner, scout, title, pages, copies, sides, color, "
            "format, size, submitted_at, state, reason, updated_at, expires_at, sequence) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
    db.close()
    print(count)


if __name__ == "__main__":
    main()
