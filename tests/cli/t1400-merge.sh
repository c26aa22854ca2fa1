# merge: databases of imported runs into one (new or existing); merging twice adds
# nothing and reports the same table; an older schema is migrated and an input in WAL mode
# with its -wal read, both left untouched; an imported file stays imported once; bad
# inputs (missing, not SQLite, another application's, newer, corrupt) and bad flags are
# one-line errors that leave OUT as it was (a new OUT is not made)
. "$(dirname "$0")/lib.sh"
G=$QB_SRC/tests/data/golden/import
cp "$G/ours-bench-jsonl/bench.jsonl" a.jsonl
cp "$G/llama-bench-jsonl/llama-bench.jsonl" b.jsonl
q() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchall())" "$@"; }
qs() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.close()" "$@"; }
"$QB" import --db a.db --label a a.jsonl >/dev/null 2>&1 || fail "setup: import a"
"$QB" import --db b.db --label b b.jsonl >/dev/null 2>&1 || fail "setup: import b"
sums=$(sha256sum a.db b.db)

run "$QB" merge a.db b.db -o all.db
expect_rc 0 "merge"
expect_out_has "a.db: added 1 run, 0 cells, 4 rows, 0 events; already there 0 runs, 0 cells, 0 rows; 0 superseded, 0 conflicts"
expect_out_has "b.db: added 1 run, 0 cells, 2 rows, 0 events; already there 0 runs, 0 cells, 0 rows; 0 superseded, 0 conflicts"
expect_out_has "all.db: 2 runs, 6 rows"
[ "$(sha256sum a.db b.db)" = "$sums" ] || fail "the inputs were written"
ls all.db.merge-* 2>/dev/null && fail "a temporary file was left"
"$QB" report --db all.db >first.md || fail "report"
[ "$(q all.db "select label, imported_from from runs order by id")" = "[('a', 'a.jsonl'), ('b', 'b.jsonl')]" ] || fail "the runs keep their label and origin"
# twice: the same counts, a byte-equal report
run "$QB" merge a.db b.db -o all.db
expect_rc 0 "merge twice"
expect_out_has "a.db: added 0 runs, 0 cells, 0 rows, 0 events; already there 1 run, 0 cells, 4 rows"
expect_out_has "b.db: added 0 runs, 0 cells, 0 rows, 0 events; already there 1 run, 0 cells, 2 rows"
expect_out_has "all.db: 2 runs, 6 rows"
"$QB" report --db all.db | cmp -s first.md - || fail "merging twice changed the report"
# a merged database merges on like any other; the same file in it is not imported again
run "$QB" merge all.db -o again.db
expect_rc 0 "merge a merged one"
"$QB" report --db again.db | cmp -s first.md - || fail "a merge of a merge differs"
run "$QB" import --db all.db a.jsonl
expect_rc 0 "import again"
expect_err_has "skipped"
[ "$(q all.db 'select count(*) from results')" = "[(6,)]" ] || fail "import after merge stored rows again"
# compare on a merged database: the same file measured as two labelled runs elsewhere
"$QB" import --db x.db --label x a.jsonl >/dev/null 2>&1 || fail "setup: x"
"$QB" import --db y.db --label y a.jsonl >/dev/null 2>&1 || fail "setup: y"
run "$QB" merge x.db y.db -o xy.db
expect_rc 0 "x y"
run "$QB" compare x y --db xy.db
expect_rc 0 "compare on the merged database"
[ "$(grep -c 'pp16\|tg4' "$T/out")" -ge 4 ] || { cat "$T/out"; fail "compare: 4 matched rows"; }
# a run with another's uid (a copied database's): a conflict, not merged into it
cp a.db forged.db
python3 -c "import sqlite3; c=sqlite3.connect('forged.db'); c.execute(\"update runs set started='2020-01-01T00:00:00Z'\"); c.commit()"
run "$QB" merge forged.db -o all.db
expect_rc 4 "a forged uid"
expect_err_has "quantbench: warning: conflict: run 1 of forged.db has the uid of another run (run 1 of a.db) but another command, argv or start; not merged"
[ "$(q all.db 'select count(*) from results')" = "[(6,)]" ] || fail "a forged run's rows merged"
# a run of the same rows twice keeps them twice (rows are a multiset in a run)
cat a.jsonl a.jsonl >aa.jsonl
"$QB" import --db aa.db aa.jsonl >/dev/null 2>&1 || fail "setup: aa"
run "$QB" merge aa.db aa.db -o aa-out.db
expect_rc 0 "aa"
[ "$(q aa-out.db 'select count(*) from results')" = "[(8,)]" ] || fail "duplicate rows of a run: $(q aa-out.db 'select count(*) from results')"

# an older schema (version 3, no uids): migrated in a private copy, the file untouched,
# and merged once however often
cp a.db old.db
qs old.db "DROP TABLE claims; DROP TABLE events; DROP TABLE cells; DROP TABLE suite_plan; DROP TABLE suites; DROP INDEX results_cell; ALTER TABLE results DROP COLUMN cell_id; DELETE FROM meta WHERE key LIKE 'run_uid:%'; PRAGMA user_version = 3"
oldsum=$(sha256sum old.db)
run "$QB" merge old.db -o old-out.db
expect_rc 0 "old schema"
expect_out_has "old.db: added 1 run, 0 cells, 4 rows"
run "$QB" merge old.db -o old-out.db
expect_rc 0 "old schema twice"
expect_out_has "old.db: added 0 runs, 0 cells, 0 rows, 0 events; already there 1 run, 0 cells, 4 rows"
[ "$(sha256sum old.db)" = "$oldsum" ] || fail "old.db was written"
[ "$(q old.db 'PRAGMA user_version')" = "[(3,)]" ] || fail "old.db migrated in place"

# an input in WAL mode with its -wal (a writer killed before a checkpoint)
cp b.db wal.db
python3 -c "import sqlite3,os;c=sqlite3.connect('wal.db');c.execute('PRAGMA journal_mode=WAL');c.execute(\"UPDATE runs SET label='from-wal'\");c.commit();os._exit(0)"
[ -s wal.db-wal ] || fail "setup: no -wal"
walsum=$(sha256sum wal.db wal.db-wal)
run "$QB" merge wal.db -o wal-out.db
expect_rc 0 "wal input"
[ "$(q wal-out.db 'select label from runs')" = "[('from-wal',)]" ] || fail "the -wal was not read"
[ "$(sha256sum wal.db wal.db-wal)" = "$walsum" ] || fail "wal.db or its -wal was written"

# bad inputs: one line, exit 3, OUT unchanged, a new OUT not made
cp all.db keep.db
keep=$(sha256sum all.db)
bad() { # file message
    run "$QB" merge a.db "$1" -o all.db
    expect_rc 3 "$1"
    expect_err "quantbench: error: $2; nothing merged"
    [ ! -s "$T/out" ] || fail "$1: printed a summary"
    [ "$(sha256sum all.db)" = "$keep" ] || fail "$1: all.db changed"
    run "$QB" merge a.db "$1" -o new.db
    expect_rc 3 "$1 into a new OUT"
    [ ! -e new.db ] || fail "$1: new.db was made"
    ls new.db* 2>/dev/null && fail "$1: files beside new.db"
    return 0
}
bad missing.db "no results database at 'missing.db'"
printf 'hello, not a database\n' >text.db
bad text.db "'text.db' is not a SQLite database (left untouched)"
q foreign.db 'CREATE TABLE t(x)' >/dev/null
bad foreign.db "'foreign.db' is not a quantbench database (an SQLite file of another application; left untouched)"
cp b.db newer.db
q newer.db 'PRAGMA user_version = 7' >/dev/null
bad newer.db "database 'newer.db' has schema version 7, newer than this quantbench knows (4); left untouched"
: >empty.db
bad empty.db "database 'empty.db' is an empty file, not a quantbench database"
cp b.db corrupt.db
python3 - corrupt.db <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
for i in range(4096 + 8, len(b), 61):
    b[i] ^= 0x5a
open(p, 'wb').write(bytes(b))
PY
run "$QB" merge a.db corrupt.db -o all.db
expect_rc 3 "corrupt"
expect_err_has "database 'corrupt.db' is corrupt"
[ "$(err_text "$T/err" | wc -l)" = 1 ] || fail "corrupt: one line"
[ "$(sha256sum all.db)" = "$keep" ] || fail "corrupt: all.db changed"
# OUT itself refused: exit 3, untouched
run "$QB" merge a.db -o text.db
expect_rc 3 "OUT not SQLite"
expect_err "quantbench: error: 'text.db' is not a SQLite database (left untouched)"

# usage
run "$QB" merge a.db
expect_rc 2 "no -o"
expect_err "quantbench merge: no -o OUT.db; try 'quantbench merge --help'"
run "$QB" merge -o nothing.db
expect_rc 2 "no input"
expect_err "quantbench merge: no database to merge; try 'quantbench merge --help'"
run "$QB" merge a.db -o
expect_rc 2 "-o without value"
expect_err "quantbench merge: '-o' needs a value; try 'quantbench merge --help'"
run "$QB" merge --bogus a.db -o nothing.db
expect_rc 2 "unknown flag"
expect_err "quantbench merge: unknown flag '--bogus'; try 'quantbench merge --help'"
run "$QB" merge a.db all.db -o ./all.db
expect_rc 2 "input is OUT"
expect_err "quantbench merge: 'all.db' is the output database; merge it into another; try 'quantbench merge --help'"
[ "$(sha256sum all.db)" = "$keep" ] || fail "usage: all.db changed"
[ ! -e nothing.db ] || fail "nothing.db made by a usage error"
run "$QB" merge --help
expect_rc 0 "help"
expect_out_has "Exit codes:"
expect_out_has "4 merged with conflicts"
exit 0
