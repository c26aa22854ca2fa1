# results database on read-only media: report and compare read it as it is (a clean file,
# one whose newest rows are still in its -wal, one with an older schema), and leave every
# file there byte-identical; bench and import say in one line that it cannot be written,
# exit 1, before any model is loaded. As root the media is a read-only bind mount in a
# mount namespace of its own (chmod does not stop root); otherwise the files and directory
# lose their write permission.
data=$(cd "$(dirname "$0")/../data" && pwd)
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
q() { sqlite3 -batch -noheader "$1" "$2"; }
export TMPDIR="$T/tmp" # where the private copies go: it must be empty after each command
mkdir "$TMPDIR"

mkdir ro
if [ "$(id -u)" != 0 ]; then
    mode=chmod
    why="Permission denied"
elif unshare -m sh -c 'mount --bind ro ro && mount -o remount,bind,ro ro ro && ! touch ro/x' \
    2>/dev/null; then
    mode=mount
    why="Read-only file system"
else
    echo "skipped: running as root without mount namespaces, so nothing here is read-only"
    exit 77
fi
# ro_run CMD...: CMD with ro/ read-only
ro_run() {
    if [ $mode = mount ]; then
        unshare -m sh -c 'mount --bind ro ro && mount -o remount,bind,ro ro ro && exec "$@"' sh "$@"
    else
        chmod a-w ro ro/*
        "$@"
        local r=$?
        chmod u+w ro ro/*
        return $r
    fi
}

# a clean database: two runs of the same tests
for l in a b; do
    run "$QB" bench -m "$m" -p 8 -n 2 -r 2 --db ro/clean.db --label $l
    expect_rc 0 "bench $l"
done
# one whose last change sits in its -wal (its writer killed): the label is only there
cp ro/clean.db ro/wal.db
python3 -c "import sqlite3,os;c=sqlite3.connect('ro/wal.db');c.execute(\"UPDATE runs SET label='walonly' WHERE label='b'\");c.commit();os._exit(0)"
[ -s ro/wal.db-wal ] && [ -s ro/wal.db-shm ] || fail "setup: no -wal/-shm"
# one of schema version 2 (no suite tables, no reason column for runs yet)
cp ro/clean.db ro/old.db
q ro/old.db 'DROP TABLE claims; DROP TABLE events; DROP TABLE cells; DROP TABLE suite_plan; DROP TABLE suites; DROP INDEX results_cell; ALTER TABLE results DROP COLUMN cell_id; ALTER TABLE runs DROP COLUMN reason; PRAGMA user_version = 2'
[ "$(q ro/old.db 'PRAGMA user_version')" = 2 ] || fail "setup: old.db"
sums() { (cd ro && ls -A && sha256sum -- *); }
before=$(sums)

run ro_run "$QB" report --db ro/clean.db -o json
expect_rc 0 "report on read-only media"
[ "$(json_get "$T/out" 'len(j)')" = 4 ] || fail "report rows"
run ro_run "$QB" report --db ro/clean.db --runs
expect_rc 0 "report --runs on read-only media"
expect_out_has "| ok |"
run ro_run "$QB" compare a b --db ro/clean.db
expect_rc 0 "compare on read-only media"
expect_out_has "pp8"
run ro_run "$QB" report label=walonly --db ro/wal.db -o json
expect_rc 0 "report on read-only media, rows in the -wal"
[ "$(json_get "$T/out" 'len(j)')" = 2 ] || fail "the -wal was not read"
run ro_run "$QB" compare a walonly --db ro/wal.db
expect_rc 0 "compare on read-only media, rows in the -wal"
expect_out_has "tg2"
run ro_run "$QB" report --db ro/old.db -o json
expect_rc 0 "report on read-only media, schema 2"
[ "$(json_get "$T/out" 'len(j)')" = 4 ] || fail "report rows of old.db"
[ "$(sums)" = "$before" ] || fail "files on the read-only media changed"
[ -z "$(ls -A "$TMPDIR")" ] || fail "a private copy was left behind"

# writers: one line, exit 1, nothing measured
run ro_run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db ro/clean.db
expect_rc 1 "bench into read-only media"
expect_err "quantbench: error: cannot write database 'ro/clean.db': $why"
[ ! -s "$T/out" ] || fail "bench measured"
run ro_run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db ro/new.db
expect_rc 1 "bench, new database on read-only media"
expect_err "quantbench: error: cannot create database 'ro/new.db': $why"
[ ! -s "$T/out" ] || fail "bench measured"
[ ! -e ro/new.db ] || fail "ro/new.db made"
run ro_run "$QB" import "$data/sweep-bench.jsonl" --db ro/wal.db
expect_rc 1 "import into read-only media"
expect_err "quantbench: error: cannot write database 'ro/wal.db': $why"
[ "$(sums)" = "$before" ] || fail "files on the read-only media changed"
echo ok
