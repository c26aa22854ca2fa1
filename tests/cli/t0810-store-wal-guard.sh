# results database: the ownership/version guard sees what SQLite sees, the -wal included.
# Another program's tables, or a newer schema, that sit only in the -wal (their writer
# still running, or killed) are refused with exit 3 by every command that opens the file,
# and the main file, its -wal and its -shm are left byte-identical; so is a foreign
# rollback-journal database whose last transaction is still in a hot -journal.
data=$(cd "$(dirname "$0")/../data" && pwd)
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
cp "$data/sweep-bench.jsonl" sb.jsonl
q() { sqlite3 -batch -noheader "$1" "$2"; }
export TMPDIR="$T/tmp" # where the private copies go: it must be empty after each command
mkdir "$TMPDIR"
sums() { sha256sum "$1" "$1-wal" "$1-shm" "$1-journal" 2>/dev/null; }

# refuse FILE MESSAGE: bench, import, report and compare exit 3 with exactly MESSAGE and
# change none of the files
refuse() {
    local f=$1 want=$2 before
    before=$(sums "$f")
    run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db "$f"
    expect_rc 3 "bench on $f"
    expect_err "quantbench: error: $want"
    [ ! -s "$T/out" ] || fail "bench measured despite a refused $f"
    run "$QB" import sb.jsonl --db "$f"
    expect_rc 3 "import into $f"
    expect_err "quantbench: error: $want"
    run "$QB" report --db "$f"
    expect_rc 3 "report on $f"
    expect_err "quantbench: error: $want"
    run "$QB" compare 1 2 --db "$f"
    expect_rc 3 "compare on $f"
    expect_err "quantbench: error: $want"
    [ "$(sums "$f")" = "$before" ] || fail "$f or its -wal/-shm/-journal changed"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "a private copy was left behind"
    return 0
}

# another program's database whose only table is still in its -wal (the issue's case)
python3 -c "import sqlite3,os;c=sqlite3.connect('o.db');c.execute('PRAGMA journal_mode=WAL');c.execute('create table payroll(n)');c.commit();os._exit(0)"
[ -s o.db-wal ] && [ -s o.db-shm ] || fail "setup: no -wal/-shm"
refuse o.db "'o.db' is not a quantbench database (an SQLite file of another application; left untouched)"
# the payroll table and nothing of ours in it, as SQLite reads it
python3 - <<'PY' || fail "o.db holds our tables"
import shutil, sqlite3, tempfile, os
d = tempfile.mkdtemp(dir='.')
for s in ('', '-wal'):
    shutil.copy('o.db' + s, os.path.join(d, 'o.db' + s))
names = sorted(r[0] for r in sqlite3.connect(os.path.join(d, 'o.db')).execute(
    "SELECT name FROM sqlite_master"))
assert names == ['payroll'], names
PY

# ours in the main file, a newer schema version only in the -wal (a newer quantbench's
# migration, its process still running or killed)
run "$QB" import sb.jsonl --db newer.db --label old
expect_rc 0 "import into newer.db"
[ ! -e newer.db-wal ] || fail "setup: newer.db has a -wal after a clean close"
python3 -c "import sqlite3,os;c=sqlite3.connect('newer.db');c.execute('PRAGMA user_version=9');c.execute('CREATE TABLE t_v9(x)');c.commit();os._exit(0)"
[ -s newer.db-wal ] || fail "setup: no -wal"
refuse newer.db "database 'newer.db' has schema version 9, newer than this quantbench knows (4); left untouched"

# the same with a newer quantbench's writer alive and holding the database open
python3 - <<'PY' &
import sqlite3, time, os
c = sqlite3.connect('live.db', isolation_level=None)
c.execute('PRAGMA journal_mode=WAL')
c.execute('PRAGMA application_id=%d' % 0x51424e43)
c.execute('PRAGMA user_version=5')
c.execute('CREATE TABLE future(x)')
open('live.ready', 'w').close()
while not os.path.exists('live.done'):
    time.sleep(0.05)
PY
py=$!
for _ in $(seq 1 200); do [ -e live.ready ] && break; sleep 0.05; done
refuse live.db "database 'live.db' has schema version 5, newer than this quantbench knows (4); left untouched"
touch live.done
wait $py

# a foreign rollback-journal database with a hot -journal (its writer died after writing
# the main file, before the commit finished): the main file alone shows no table at all,
# SQLite rolls the journal back to the payroll table
python3 - <<'PY'
import sqlite3
c = sqlite3.connect('hot.db', isolation_level=None)
c.execute('CREATE TABLE payroll(n)')
c.execute("INSERT INTO payroll VALUES('alice')")
c.execute('PRAGMA synchronous=OFF')  # the journal header counts its records by file size
c.execute('PRAGMA journal_mode=PERSIST')
c.execute('BEGIN')
c.execute('DROP TABLE payroll')
jr = open('hot.db-journal', 'rb').read()  # the journal as the crash left it
c.execute('COMMIT')
c.close()
open('hot.db-journal', 'wb').write(jr)
PY
[ "$(python3 -c "import sqlite3;print(len(sqlite3.connect('file:hot.db?mode=ro&immutable=1',uri=True).execute('select * from sqlite_master').fetchall()))")" = 0 ] ||
    fail "setup: the main file of hot.db still shows a table"
refuse hot.db "'hot.db' is not a quantbench database (an SQLite file of another application; left untouched)"

# and our own database with rows only in the -wal (a writer killed mid-run) is accepted
run "$QB" import sb.jsonl --db ours.db --label first
expect_rc 0 "import into ours.db"
python3 -c "import sqlite3,os;c=sqlite3.connect('ours.db');c.execute(\"UPDATE runs SET label='walonly'\");c.commit();os._exit(0)"
[ -s ours.db-wal ] || fail "setup: no -wal for ours.db"
run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db ours.db
expect_rc 0 "bench on ours.db with a -wal"
run "$QB" report label=walonly --db ours.db -o json
expect_rc 0 "report on ours.db"
[ "$(json_get "$T/out" 'len(j)')" = 3 ] || fail "the rows of the -wal were not read"
[ "$(q ours.db 'PRAGMA integrity_check')" = ok ] || fail "integrity"
[ "$(q ours.db 'SELECT count(*) FROM results')" = 4 ] || fail "rows in ours.db"
echo ok
