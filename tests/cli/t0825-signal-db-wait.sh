# after SIGTERM a command waiting for a locked database gives up within seconds (the write
# deadline is cut to 3 s once a signal is caught), not after QB_DB_BUSY_MS: the user is not
# pushed to a second, forcing signal that would leave the run 'running'
. "$(dirname "$0")/lib.sh"
set -m # job control, as lib_sig.sh
m=$(model_dense)
run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db l.db --label setup
expect_rc 0 "setup"
python3 - l.db <<'PY' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
c.execute('BEGIN EXCLUSIVE')
open(sys.argv[1] + '.held', 'w').close()
t0 = time.time()
while not os.path.exists('release') and time.time() - t0 < 120:
    time.sleep(0.02)
c.execute('ROLLBACK')
PY
py=$!
for _ in $(seq 1 600); do [ -e l.db.held ] && break; sleep 0.05; done
QB_DB_BUSY_MS=60000 "$QB" bench -m "$m" -p 8,16 -n 0 -r 1 --db l.db --label cut >out 2>err &
qb=$!
sleep 2 # the first row is measured in well under that and waits for the lock
kill -TERM $qb
t0=$(date +%s)
wait $qb
rc=$?
secs=$(($(date +%s) - t0))
touch release
wait $py
[ $secs -le 15 ] || { cat err >&2; fail "took $secs s after SIGTERM (QB_DB_BUSY_MS is 60 s)"; }
# the row could not be stored: that is what happened (exit 1, t0823); never a crash
[ $rc -eq 1 ] || { cat err >&2; fail "exit $rc, want 1"; }
grep -q 'could not be stored' err || { cat err >&2; fail "no storage error said"; }
[ "$(python3 -c "import sqlite3; print(sqlite3.connect('l.db').execute('PRAGMA integrity_check').fetchone()[0])")" = ok ] ||
    fail "integrity"
echo ok
