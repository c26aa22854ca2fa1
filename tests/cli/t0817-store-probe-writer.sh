# results database: the guard's check of an existing file under a concurrent writer.
# A writer that only appends to the -wal (commits, no checkpoint) does not make the
# check read again until QB_DB_BUSY_MS runs out: report and import finish in seconds,
# with every row. A writer that keeps changing the main file (a checkpoint after every
# commit) gets "keeps changing; try again" with exit 1 at the deadline, never a verdict
# on a torn copy; the file stays healthy.
data=$(cd "$(dirname "$0")/../data" && pwd)
. "$(dirname "$0")/lib.sh"
cp "$data/sweep-bench.jsonl" sb.jsonl # 3 rows
q() { sqlite3 -batch -noheader "$1" "$2"; }
export TMPDIR="$T/tmp" # the private copies: none may be left behind
mkdir "$TMPDIR"

run "$QB" import sb.jsonl --db w.db --label first
expect_rc 0 "import into w.db"
# some size, so that a copy and its quick_check take a while
python3 -c "
import sqlite3
c = sqlite3.connect('w.db')
c.execute('CREATE TABLE pad(x)')
c.executemany('INSERT INTO pad VALUES(randomblob(4000))', [()] * 8000)
c.commit()"

wpid=
trap 'touch stop.append stop.checkpoint; [ -z "$wpid" ] || kill "$wpid" 2>/dev/null' EXIT
# writer MODE: commits into meta until stop.MODE exists; 'append' never checkpoints,
# 'checkpoint' truncates the log into the main file after every commit (and grows it)
writer() {
    python3 - "$1" >/dev/null 2>&1 <<'PY' &
import os, sqlite3, sys, time
mode = sys.argv[1]
c = sqlite3.connect('w.db', isolation_level=None)
c.execute('PRAGMA journal_mode=WAL')
c.execute('PRAGMA wal_autocheckpoint=0')
c.execute('PRAGMA synchronous=OFF')
n = 0
while not os.path.exists('stop.' + mode):
    n += 1
    c.execute('BEGIN IMMEDIATE')
    if mode == 'checkpoint':
        c.execute('INSERT INTO pad VALUES(randomblob(4000))')
    c.execute("INSERT OR REPLACE INTO meta VALUES('writer', ?)", (str(n),))
    c.execute('COMMIT')
    if mode == 'checkpoint':
        c.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    else:
        time.sleep(0.01)
    if n == 20:
        open('ready.' + mode, 'w').close()
PY
    wpid=$!
    for _ in $(seq 1 200); do [ -e "ready.$1" ] && return 0; sleep 0.05; done
    fail "setup: the $1 writer did not start"
}

# 1. an appending writer: a check that holds still at once
writer append
t0=$(date +%s%N)
QB_DB_BUSY_MS=20000 run "$QB" report --runs --db w.db
t1=$(date +%s%N)
expect_rc 0 "report under an appending writer"
expect_out_has "first"
[ $(((t1 - t0) / 1000000)) -lt 8000 ] || fail "report took $(((t1 - t0) / 1000000)) ms under an appending writer"
t0=$(date +%s%N)
QB_DB_BUSY_MS=20000 run "$QB" import --force sb.jsonl --db w.db --label second
t1=$(date +%s%N)
expect_rc 0 "import under an appending writer"
[ $(((t1 - t0) / 1000000)) -lt 8000 ] || fail "import took $(((t1 - t0) / 1000000)) ms under an appending writer"
touch stop.append
wait $wpid
[ "$(q w.db "SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id WHERE u.label IN ('first', 'second')")" = 6 ] ||
    fail "rows missing"

# 2. a writer that checkpoints after every commit: no verdict on a torn copy. Mostly the
# check never holds still and ends at the deadline with exit 1; on a busy machine the
# writer may pause long enough for one whole, still read (then exit 0 with the rows):
# either, never exit 3 ("corrupt") for this healthy file
writer checkpoint
QB_DB_BUSY_MS=1500 run "$QB" report --runs --db w.db
case $rc in
0) expect_out_has "first" ;;
1) expect_err "quantbench: error: database 'w.db' keeps changing; try again" ;;
*) cat "$T/err" >&2; fail "report under a checkpointing writer: exit $rc" ;;
esac
QB_DB_BUSY_MS=1500 run "$QB" import --force sb.jsonl --db w.db --label third
case $rc in
0) third=3 ;;
1) expect_err "quantbench: error: database 'w.db' keeps changing; try again"; third=0 ;;
*) cat "$T/err" >&2; fail "import under a checkpointing writer: exit $rc" ;;
esac
touch stop.checkpoint
wait $wpid
[ -z "$(ls -A "$TMPDIR")" ] || fail "a private copy was left behind"
[ "$(q w.db 'PRAGMA integrity_check')" = ok ] || fail "integrity"
[ "$(q w.db "SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id WHERE u.label = 'third'")" = $third ] ||
    fail "import under the checkpointing writer: rows stored do not match its exit code"
run "$QB" report --runs --db w.db
expect_rc 0 "report once the writer stopped"
echo ok
