# import stores each file in a transaction of its own, retried whole while the failure may
# pass: on a full disk (RLIMIT_FSIZE, SIGXFSZ ignored) the message says how long it
# retried, never "no transaction is active"; the files before the one that failed stay
# imported, nothing of it is stored, the file stays whole. Behind another writer's lock
# that goes away, every file is imported.
data=$(cd "$(dirname "$0")/../data" && pwd)
. "$(dirname "$0")/lib.sh"
q() { sqlite3 -batch -noheader "$1" "$2"; }
norm() { sed -E 's/after [0-9.]+ s of retries/after X s of retries/' "$@"; }
cp "$data/sweep-bench.jsonl" small.jsonl # 3 rows
# 3000 rows (distinct speeds), far more than the room left on the "disk"
python3 - <<'PY'
import json
rows = [json.loads(l) for l in open('small.jsonl')]
with open('big.jsonl', 'w') as f:
    for i in range(3000):
        r = dict(rows[i % 3])
        r['speed_tg'] = 10 + i / 100
        f.write(json.dumps(r) + '\n')
PY

# import FILE... into f.db with LIMIT KiB of file size at most
limited() {
    local lim=$1
    shift
    (
        trap '' XFSZ
        ulimit -f "$lim"
        QB_DB_BUSY_MS=400 exec "$QB" import "$@" --db f.db >"$T/out" 2>"$T/err"
    )
    rc=$?
}

run "$QB" import small.jsonl --db f.db --label setup
expect_rc 0 "setup import"
[ ! -e f.db-wal ] || fail "setup: a -wal after a clean close"
lim=$(($(stat -c %s f.db) / 1024 + 64))

# 1. one file on a full disk: retried, then one line with the time it retried
limited "$lim" big.jsonl --label one
expect_rc 1 "import of one file on a full disk"
[ "$(norm "$T/err")" = "quantbench: error: 'big.jsonl' could not be stored: database 'f.db': disk I/O error (after X s of retries)" ] ||
    { cat "$T/err" >&2; fail "message for one file"; }

# 2. several files: the one before is imported, the full one and the one after are not
limited "$lim" small.jsonl big.jsonl "$data/sweep-bench.md" --label several --force
expect_rc 1 "import of several files on a full disk"
[ "$(norm "$T/err")" = "quantbench: error: 'big.jsonl' could not be stored: database 'f.db': disk I/O error (after X s of retries); the 1 file before it is imported, nothing of it or after it" ] ||
    { cat "$T/err" >&2; fail "message for several files"; }
expect_out_has "imported 'small.jsonl': sweep-bench jsonl, 3 rows, run "
[ "$(grep -c '^imported' "$T/out")" = 1 ] || fail "more than one file said imported"

[ "$(q f.db 'PRAGMA integrity_check')" = ok ] || fail "integrity"
[ "$(q f.db "SELECT group_concat(label || ':' || status || ':' || (SELECT count(*) FROM results r WHERE r.run_id = u.id), ' ') FROM runs u ORDER BY id")" = "setup:ok:3 several:ok:3" ] ||
    fail "runs: $(q f.db 'SELECT id, label, status FROM runs')"
[ "$(q f.db 'SELECT count(*) FROM results')" = 6 ] || fail "rows"

# 3. behind a lock held for a second (QB_DB_BUSY_MS is longer): all files imported
python3 - <<'PY' &
import sqlite3, time
c = sqlite3.connect('f.db', isolation_level=None)
c.execute('BEGIN IMMEDIATE')
open('held', 'w').close()
time.sleep(1)
c.execute('COMMIT')
PY
py=$!
for _ in $(seq 1 100); do [ -e held ] && break; sleep 0.05; done
QB_DB_BUSY_MS=20000 run "$QB" import big.jsonl "$data/sweep-bench.md" --db f.db --label locked
wait $py
expect_rc 0 "import behind a short lock"
[ "$(grep -c '^imported' "$T/out")" = 2 ] || { cat "$T/out" "$T/err" >&2; fail "not both imported"; }
[ "$(q f.db "SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id WHERE u.label = 'locked'")" = 3004 ] ||
    fail "rows behind the lock"
[ "$(q f.db 'PRAGMA integrity_check')" = ok ] || fail "integrity at the end"
echo ok
