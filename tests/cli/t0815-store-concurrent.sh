# results database: any number of writers at once lose nothing. 8 imports at once into a
# new file (several rounds), into an existing empty file, into a schema-2 file that all 8
# migrate; 8 benches at once into a new file; imports and benches mixed: every run ok,
# every row present, integrity ok, nothing on stderr
data=$(cd "$(dirname "$0")/../data" && pwd)
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
cp "$data/sweep-bench.jsonl" sb.jsonl # 3 rows
q() { sqlite3 -batch -noheader "$1" "$2"; }

# at_once DB N CMD...: N copies of CMD (label pI) at once; all must succeed quietly
at_once() {
    local db=$1 n=$2 pids="" i bad=0
    shift 2
    for i in $(seq 1 "$n"); do
        "$@" --db "$db" --label "p$i" >"out.$i" 2>"err.$i" &
        pids="$pids $!"
    done
    i=0
    for p in $pids; do
        i=$((i + 1))
        wait "$p" || { echo "writer $i failed:" >&2; cat "err.$i" >&2; bad=1; }
        [ ! -s "err.$i" ] || { echo "writer $i stderr:" >&2; cat "err.$i" >&2; bad=1; }
    done
    [ $bad = 0 ] || fail "a concurrent writer failed ($*)"
}
# check DB RUNS ROWS-PER-RUN
check() {
    [ "$(q "$1" 'PRAGMA integrity_check')" = ok ] || fail "$1: integrity"
    [ "$(q "$1" "SELECT count(*) FROM runs WHERE status = 'ok'")" = "$2" ] || fail "$1: runs"
    [ "$(q "$1" "SELECT count(*) FROM runs")" = "$2" ] || fail "$1: runs not ok"
    [ "$(q "$1" "SELECT count(*) FROM (SELECT run_id FROM results GROUP BY run_id HAVING count(*) = $3)")" = "$2" ] ||
        fail "$1: a run lost rows: $(q "$1" 'SELECT run_id, count(*) FROM results GROUP BY run_id')"
    [ "$(q "$1" 'PRAGMA user_version')" = 4 ] || fail "$1: schema version"
    ls "$1".new-* >/dev/null 2>&1 && fail "$1: a half-made database left beside it"
    return 0
}

for round in 1 2 3 4; do
    rm -f new.db new.db-wal new.db-shm
    at_once new.db 8 "$QB" import --force sb.jsonl
    check new.db 8 3
done

# an existing empty file (made by mktemp, say): created in place
for round in 1 2 3; do
    rm -f empty.db*
    : >empty.db
    at_once empty.db 8 "$QB" import --force sb.jsonl
    check empty.db 8 3
done

# a schema-2 database that all 8 migrate at once
run "$QB" import sb.jsonl --db v2.db --label first
expect_rc 0 "setup import"
q v2.db 'DROP TABLE claims; DROP TABLE events; DROP TABLE cells; DROP TABLE suite_plan; DROP TABLE suites; DROP INDEX results_cell; ALTER TABLE results DROP COLUMN cell_id; ALTER TABLE runs DROP COLUMN reason; PRAGMA user_version = 2'
for round in 1 2 3; do
    rm -f old.db*
    cp v2.db old.db
    at_once old.db 8 "$QB" import --force sb.jsonl
    check old.db 9 3
done

# 8 benches at once into a new file
for round in 1 2; do
    rm -f bench.db*
    at_once bench.db 8 "$QB" bench -m "$m" -p 8 -n 2 -r 1 -t 1
    check bench.db 8 2
done

# imports and benches together
rm -f mixed.db*
pids=""
for i in 1 2 3 4; do
    "$QB" bench -m "$m" -p 8 -n 2 -r 1 -t 1 --db mixed.db >"bo.$i" 2>"be.$i" &
    pids="$pids $!"
    "$QB" import --force sb.jsonl sb.jsonl --db mixed.db >"io.$i" 2>"ie.$i" &
    pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a mixed writer failed: $(cat be.* ie.*)"; done
[ -z "$(cat be.* ie.*)" ] || fail "stderr: $(cat be.* ie.*)"
[ "$(q mixed.db 'PRAGMA integrity_check')" = ok ] || fail "mixed: integrity"
[ "$(q mixed.db "SELECT count(*) FROM runs WHERE status = 'ok'")" = 12 ] || fail "mixed: runs"
[ "$(q mixed.db "SELECT count(*) FROM results WHERE kind = 'bench'")" = 8 ] || fail "mixed: bench rows"
[ "$(q mixed.db "SELECT count(*) FROM results WHERE kind = 'sweep'")" = 24 ] || fail "mixed: import rows"
echo ok
