# Sourced by the benchmarks that need many held jobs (bench/panel-list,
# bench/release-latency), after stack_start (scripts/lib/stack.sh): the
# jobs are written straight into the cloud's database, SQLite or
# PostgreSQL (STACK_DATABASE), as if the demo user's workstation had
# announced them long ago, while the cloud keeps running.
#
# usage: seed_held TOTAL       the demo user holds TOTAL seeded jobs (more are
#                              added; $held says how many there are)
#        seeded_cursor I       the panel list's cursor of seeded job I
#        time_calls URL        REQUESTS calls of URL with $session over one
#                              connection: "mean p50 p99 bytes" (ms)
held=0

seed_held() { # TOTAL
  [ "$1" -gt "$held" ] || return 0
  local now
  now=$(date +%s)
  if [ "${STACK_DATABASE:-sqlite}" = postgresql ]; then
    # one statement: PostgreSQL makes the rows itself
    stack_sql "INSERT INTO jobs(tenant, id, owner, scout, title, pages, copies, sides, color, format,
        size, submitted_at, state, updated_at, expires_at, sequence)
      SELECT '$tenant', 'bench' || lpad(i::text, 8, '0'),
        (SELECT id FROM users WHERE tenant = '$tenant' AND email = '$demo_email'),
        (SELECT id FROM scouts WHERE tenant = '$tenant' AND kind = 'print' ORDER BY created_at LIMIT 1),
        'Held ' || i, 1 + i % 9, 1, 'one-sided', 'monochrome', 'application/pdf', 1000,
        $now - 3600 - i, 'held', $now - 3600 - i, $now + 365 * 86400, i
      FROM generate_series($held, $1 - 1) AS i" >/dev/null || return 1
    stack_sql "ANALYZE jobs" >/dev/null
  else
    python3 - "$stack_dir/cloud/cloud.db" "$tenant" "$demo_email" "$held" "$1" <<'PY' || return 1
import sqlite3, sys, time
db_path, tenant, email, have, want = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
db = sqlite3.connect(db_path, timeout=60)
owner = db.execute("SELECT id FROM users WHERE tenant = ? AND email = ?", (tenant, email)).fetchone()[0]
scout = db.execute("SELECT id FROM scouts WHERE tenant = ? AND kind = 'print' ORDER BY created_at LIMIT 1",
                   (tenant,)).fetchone()[0]
now = int(time.time())
def rows():
    for i in range(have, want):
        at = now - 3600 - i  # one a second, older as they are added
        yield (tenant, f"bench{i:08d}", owner, scout, f"Held {i}", 1 + i % 9, 1, "one-sided",
               "monochrome", "application/pdf", 1000, at, "held", at, now + 365 * 86400, i)
with db:
    db.executemany(
        "INSERT INTO jobs(tenant, id, owner, scout, title, pages, copies, sides, color, format, "
        "size, submitted_at, state, updated_at, expires_at, sequence) "
        "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
# into the database file now: else the cloud's next write checkpoints a
# write-ahead log of hundreds of MB on its loop, in the middle of a figure
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
PY
  fi
  held=$1
}

seeded_cursor() { # I
  stack_sql "SELECT submitted_at || '.' || sequence || '.' || id FROM jobs WHERE id = 'bench$(printf '%08d' "$1")'"
}

time_calls() { # URL
  local urls=() i out
  for ((i = 0; i < requests; i++)); do urls+=(-o /dev/null "$1"); done
  out=$(curl -sS --cacert "$ca_file" -H "Authorization: Bearer $session" \
    -w '%{http_code} %{time_total} %{size_download}\n' "${urls[@]}")
  [ "$(awk '$1 == 200' <<<"$out" | wc -l)" = "$requests" ] || return 1
  awk '{ print $2 * 1000, $3 }' <<<"$out" | sort -n |
    awk '{ t[NR] = $1; s += $1; b = $2 }
      END { printf "%.2f %.2f %.2f %d\n", s / NR, t[int((NR + 1) / 2)], t[int(NR * 0.99 + 0.999)], b }'
}
