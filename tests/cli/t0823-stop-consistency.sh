# a row that could not be stored ends the run 'failed' with exit 1, also when SIGTERM comes
# after it (no "interrupted" line, not exit 143); ctxmax and quality stop at the next model
# then; --help works whatever state the database is in
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
q() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$@"; }

# hold.py DB: once DB has two results (the setup run's and one more), take its write lock; let go when DB.release appears
cat >hold.py <<'PY'
import os, sqlite3, sys, time
db = sys.argv[1]
c = sqlite3.connect(db, isolation_level=None, timeout=60)
t0 = time.time()
while c.execute('SELECT count(*) FROM results').fetchone()[0] < 2:
    if time.time() - t0 > 60:
        sys.exit('no rows')
    time.sleep(0.005)
c.execute('BEGIN EXCLUSIVE')
open(db + '.held', 'w').close()
while not os.path.exists(db + '.release') and time.time() - t0 < 120:
    time.sleep(0.02)
c.execute('ROLLBACK')
c.close()
PY
wait_for() { for _ in $(seq 1 1200); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.05; done; fail "never saw '$1'"; }

# 1. storage failure, then SIGTERM while the run's end waits for the lock
run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db s.db --label setup
expect_rc 0 "setup"
python3 hold.py s.db &
py=$!
QB_DB_BUSY_MS=1500 "$QB" bench -m "$m" -p 8,16,24,32,40,48,56,64 -n 0 -r 1 --db s.db --label s \
    >s.out 2>s.err &
qb=$!
wait_for 'could not be stored' s.err
kill -TERM $qb
sleep 0.3
touch s.db.release
wait $qb
rc=$?
wait $py
[ $rc -eq 1 ] || { cat s.err >&2; fail "storage failure then SIGTERM: exit $rc, want 1"; }
grep -q 'interrupted' s.err && { cat s.err >&2; fail "said interrupted after a storage failure"; }
[ "$(err_text s.err | sed -E 's/after [0-9.]+ s/after X s/')" = "quantbench: error: a bench row could not be stored: database 's.db': database is locked (after X s of retries); stopping" ] ||
    { cat s.err >&2; fail "message"; }
[ "$(q s.db "SELECT status FROM runs WHERE label = 's'")" = failed ] || fail "run status"
[ "$(q s.db 'PRAGMA integrity_check')" = ok ] || fail "integrity"
run "$QB" report --runs --db s.db
expect_rc 0 "report --runs"
grep -q '| failed | .* | a bench row could not be stored: database' "$T/out" ||
    { cat "$T/out" >&2; fail "report --runs does not show why the run failed"; }

# 2. ctxmax over two models: the first one's row cannot be stored, the second is not searched
cp "$m" second.gguf
run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db c.db --label setup
expect_rc 0 "setup"
python3 - c.db <<'PY' &
import sqlite3, sys, time, os
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
c.execute('BEGIN EXCLUSIVE')
open(sys.argv[1] + '.held', 'w').close()
time.sleep(8)
c.execute('ROLLBACK')
PY
py=$!
for _ in $(seq 1 600); do [ -e c.db.held ] && break; sleep 0.05; done
QB_DB_BUSY_MS=300 run "$QB" ctxmax -m "$m" -m second.gguf --max 512 --step 256 --db c.db --label c
wait $py
expect_rc 1 "ctxmax behind a lock"
grep -q 'second.gguf' "$T/out" && { cat "$T/out" >&2; fail "ctxmax went on to the second model"; }
[ "$(q c.db "SELECT count(*) FROM runs WHERE label = 'c' AND status <> 'failed'")" = 0 ] ||
    fail "ctxmax run not failed"

# 3. --help needs no database: a missing directory, a foreign file
run "$QB" bench --help --db /nonexistent-dir/x.db
expect_rc 0 "bench --help with an unusable --db"
expect_out_has "usage: quantbench bench"
python3 -c "import sqlite3; c = sqlite3.connect('quantbench.db'); c.execute('create table payroll(n)'); c.commit()"
for c in bench sweep batched ctxmax quality quantize; do
    run "$QB" $c --help
    expect_rc 0 "$c --help beside a foreign quantbench.db"
    expect_out_has "usage: quantbench $c"
done
run "$QB" bench -m "$m" -p 8 -n 0 -r 1
expect_rc 3 "a foreign quantbench.db is still refused"
echo ok
