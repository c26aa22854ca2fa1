# results database: a file swapped for another application's right after the guard
# checked it is judged again on the connection itself before anything is set on it: the
# foreign file (rollback-journal mode) is refused with exit 3, never converted to WAL and
# never given a -wal or -shm; it stays byte-identical.
data=$(cd "$(dirname "$0")/../data" && pwd)
. "$(dirname "$0")/lib.sh"
cp "$data/sweep-bench.jsonl" sb.jsonl
q() { sqlite3 -batch -noheader "$1" "$2"; }
run "$QB" import sb.jsonl --db ours.db
expect_rc 0 "setup import"
python3 -c "
import sqlite3
c = sqlite3.connect('foreign.db')
c.execute('CREATE TABLE payroll(n)')
c.execute(\"INSERT INTO payroll VALUES('alice')\")
c.commit()"
before=$(sha256sum <foreign.db)

# t.db is ours and the foreign file by turns (hard links renamed into place)
python3 - <<'PY' >/dev/null 2>&1 &
import os, time
while not os.path.exists('stop'):
    for src in ('ours.db', 'foreign.db'):
        try:
            os.unlink('swap.tmp')
        except FileNotFoundError:
            pass
        os.link(src, 'swap.tmp')
        os.rename('swap.tmp', 't.db')
        time.sleep(0.003)
PY
py=$!
trap 'touch stop; kill $py 2>/dev/null' EXIT
for _ in $(seq 1 100); do [ -e t.db ] && break; sleep 0.05; done
refused=0
for i in $(seq 1 300); do
    QB_DB_BUSY_MS=2000 run "$QB" report --runs --db t.db
    case $rc in
    0) ;;
    1) expect_err "quantbench: error: database 't.db' keeps changing; try again" ;;
    3)
        expect_err "quantbench: error: 't.db' is not a quantbench database (an SQLite file of another application; left untouched)"
        refused=$((refused + 1))
        ;;
    *) cat "$T/err" >&2; fail "report exit $rc" ;;
    esac
done
touch stop
wait $py
[ "$(sha256sum <foreign.db)" = "$before" ] || fail "the foreign file changed (converted to WAL?)"
[ "$(q foreign.db 'PRAGMA journal_mode')" = delete ] || fail "the foreign file's journal mode"
[ "$refused" -gt 0 ] || echo "note: no run met the foreign file"
echo ok
