# results database held locked by another process: a lock shorter than the retry budget
# (QB_DB_BUSY_MS) is waited out and the run is ok; one held longer stops the run: exit 1,
# one line, every row before it kept, and once the lock is gone the run is 'failed' with
# the reason (never 'ok' with a row missing); import likewise
data=$(cd "$(dirname "$0")/../data" && pwd)
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
cp "$data/sweep-bench.jsonl" sb.jsonl
q() { sqlite3 -batch -noheader "$1" "$2"; }
norm() { err_text "$@" | sed -E 's/after [0-9.]+ s of retries/after X s of retries/'; }

# hold.py DB ROWS SECONDS ERRFILE: once DB has ROWS results, take its write lock and hold
# it for SECONDS, or (SECONDS = 0) until ERRFILE says a row could not be stored
cat >hold.py <<'PY'
import os, sqlite3, sys, time
db, rows, secs, errf = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
c = sqlite3.connect(db, isolation_level=None, timeout=60)
t0 = time.time()
while c.execute('SELECT count(*) FROM results').fetchone()[0] < rows:
    if time.time() - t0 > 60:
        sys.exit('no rows')
    time.sleep(0.005)
c.execute('BEGIN EXCLUSIVE')
open(db + '.held', 'w').close()
t0 = time.time()
while time.time() - t0 < (secs if secs > 0 else 60):
    if secs == 0 and os.path.exists(errf) and 'could not be stored' in open(errf).read():
        break
    time.sleep(0.02)
c.execute('ROLLBACK')
c.close()
PY
held() { for _ in $(seq 1 600); do [ -e "$1.held" ] && return 0; sleep 0.05; done; fail "no lock"; }

run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db l.db --label setup
expect_rc 0 "setup"

# 1. a lock shorter than the budget: waited for, nothing lost
python3 hold.py l.db 1 1.0 none &
py=$!
held l.db
rm -f l.db.held
QB_DB_BUSY_MS=20000 run "$QB" bench -m "$m" -p 8 -n 0 -t 1,2 -r 1 --db l.db --label waited
wait $py
expect_rc 0 "bench behind a short lock"
[ ! -s "$T/err" ] || { cat "$T/err" >&2; fail "stderr behind a short lock"; }
[ "$(q l.db "SELECT status || ' ' || (SELECT count(*) FROM results r WHERE r.run_id = runs.id) FROM runs WHERE label = 'waited'")" = "ok 2" ] ||
    fail "the waited run"

# 2. held past the budget from the start: the first row cannot be stored
rm -f "$T/err"
python3 hold.py l.db 0 0 "$T/err" &
py=$!
held l.db
rm -f l.db.held
QB_DB_BUSY_MS=300 run "$QB" bench -m "$m" -p 8 -n 0 -t 1,2,3 -r 1 --db l.db --label locked
wait $py
expect_rc 1 "bench behind a long lock"
[ "$(norm "$T/err")" = "quantbench: error: a bench row could not be stored: database 'l.db': database is locked (after X s of retries); stopping" ] ||
    { cat "$T/err" >&2; fail "message"; }
[ "$(grep -c '^| llama' "$T/out")" = 1 ] || fail "tests ran after the row that could not be stored"
[ "$(q l.db "SELECT status FROM runs WHERE label = 'locked'")" = failed ] || fail "run not failed"
[ "$(q l.db "SELECT reason FROM runs WHERE label = 'locked'" | norm)" = "a bench row could not be stored: database 'l.db': database is locked (after X s of retries)" ] ||
    fail "reason"
[ "$(q l.db "SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id WHERE u.label = 'locked'")" = 0 ] ||
    fail "rows of the locked run"

# 3. taken in the middle of a run: the rows before it are kept
rm -f "$T/err"
python3 hold.py l.db 4 0 "$T/err" &
py=$!
QB_DB_BUSY_MS=300 run "$QB" bench -m "$m" -p 64 -n 16 -t 1,2,1,2,1,2,1,2,1,2 -r 2 --db l.db --label mid
wait $py
rm -f l.db.held
expect_rc 1 "bench, lock taken mid-run"
[ "$(norm "$T/err")" = "quantbench: error: a bench row could not be stored: database 'l.db': database is locked (after X s of retries); stopping" ] ||
    { cat "$T/err" >&2; fail "message mid-run"; }
shown=$(grep -c '^| llama' "$T/out")
stored=$(q l.db "SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id WHERE u.label = 'mid'")
[ "$stored" -ge 1 ] && [ "$stored" = $((shown - 1)) ] && [ "$shown" -lt 10 ] ||
    fail "mid-run: $shown rows shown, $stored stored"
[ "$(q l.db "SELECT status FROM runs WHERE label = 'mid'")" = failed ] || fail "mid-run status"

# 4. import behind a long lock: nothing of the file stored, exit 1, one line
rm -f "$T/err"
python3 hold.py l.db 0 0 "$T/err" &
py=$!
held l.db
rm -f l.db.held
QB_DB_BUSY_MS=300 run "$QB" import sb.jsonl --db l.db --label imp
wait $py
expect_rc 1 "import behind a long lock"
[ "$(norm "$T/err")" = "quantbench: error: 'sb.jsonl' could not be stored: database 'l.db': database is locked (after X s of retries)" ] ||
    { cat "$T/err" >&2; fail "import message"; }
[ "$(q l.db "SELECT count(*) FROM runs WHERE label = 'imp' AND status <> 'failed'")" = 0 ] ||
    fail "an import run left running or ok"

[ "$(q l.db 'PRAGMA integrity_check')" = ok ] || fail "integrity"
[ "$(q l.db "SELECT count(*) FROM runs WHERE status = 'running'")" = 0 ] || fail "a run left running"
echo ok
