# results database: measuring commands store every row (run, host, build, model, settings,
# samples); --label, --db, QB_DB, --no-db; files that are not ours are refused untouched;
# a writer killed with SIGKILL mid-run leaves a consistent file holding every finished row
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
q() { sqlite3 -batch -noheader "$1" "$2"; }

# bench and sweep write into ./quantbench.db by default
run "$QB" bench -m "$m" -p 16 -n 4 -t 1,2 -r 2 --label main
expect_rc 0 "bench"
[ -f quantbench.db ] || fail "no ./quantbench.db"
[ "$(q quantbench.db 'PRAGMA journal_mode')" = wal ] || fail "not WAL"
[ "$(q quantbench.db 'PRAGMA user_version')" = 4 ] || fail "schema version"
[ "$(q quantbench.db "SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id WHERE u.label = 'main' AND r.kind = 'bench' AND r.status = 'ok'")" = 4 ] ||
    fail "4 bench rows under label main"
[ "$(q quantbench.db "SELECT status || ' ' || command FROM runs")" = "ok bench" ] || fail "run status"
q quantbench.db "SELECT argv FROM runs" | grep -q '"--label","main"' || fail "argv kept"
[ "$(q quantbench.db "SELECT count(*) FROM results WHERE test = 'pp16' AND n_threads = 2 AND n_prompt = 16 AND n_samples = 2")" = 1 ] ||
    fail "indexed columns"
# the row keeps its raw samples, settings, build, host and model
q quantbench.db "SELECT row FROM results WHERE test = 'tg4' AND n_threads = 1" >row.json
python3 - row.json <<'PY' || fail "stored row incomplete"
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r['samples_ts']) == 2 and len(r['samples_ns']) == 2, r
for k in ('build_commit', 'build_number', 'cpu_info', 'model_filename', 'model_id', 'model_size',
          'n_threads', 'n_batch', 'type_k', 'host', 'test_time'):
    assert k in r, k
PY
[ "$(q quantbench.db 'SELECT count(*) FROM models')" = 1 ] || fail "one model"
[ "$(q quantbench.db 'SELECT count(*) FROM builds')" = 1 ] || fail "one build"
q quantbench.db 'SELECT cpu_flags FROM hosts' | grep -q . || fail "host CPU flags"
q quantbench.db 'SELECT os FROM hosts' | grep -q Linux || fail "host OS"

run "$QB" sweep -m "$m" -c 256 -ub 64 -n 4 -t 2
expect_rc 0 "sweep"
[ "$(q quantbench.db "SELECT count(*) FROM results WHERE kind = 'sweep'")" = 4 ] || fail "4 sweep rows"
[ "$(q quantbench.db "SELECT count(*) FROM runs")" = 2 ] || fail "two runs"

# --db, QB_DB, --no-db, QB_DB=none
run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db other.db
expect_rc 0 "--db"
[ "$(q other.db 'SELECT count(*) FROM results')" = 1 ] || fail "--db other.db"
QB_DB=env.db run "$QB" bench -m "$m" -p 8 -n 0 -r 1
[ "$(q env.db 'SELECT count(*) FROM results')" = 1 ] || fail "QB_DB"
before=$(q quantbench.db 'SELECT count(*) FROM results')
run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --no-db
expect_rc 0 "--no-db"
QB_DB=none run "$QB" bench -m "$m" -p 8 -n 0 -r 1
[ "$(q quantbench.db 'SELECT count(*) FROM results')" = "$before" ] || fail "--no-db stored rows"
# a usage error or --help makes no run and no file
run "$QB" bench -m "$m" -t 0 --db none-made.db
expect_rc 2 "usage"
[ ! -e none-made.db ] || fail "usage error created a database"
run "$QB" bench --db
expect_rc 2 "--db without value"
expect_err "quantbench bench: '--db' needs a value; try 'quantbench bench --help'"
run "$QB" bench --help
expect_out_has "--label NAME"

# refused, untouched: not SQLite, another application's SQLite, a newer schema, corrupt
refuse() { # file message
    local sum
    sum=$(sha256sum "$1")
    run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db "$1"
    expect_rc 3 "$1"
    expect_err "quantbench: error: $2"
    [ ! -s "$T/out" ] || fail "measured despite a bad database"
    [ "$(sha256sum "$1")" = "$sum" ] || fail "$1 was modified"
    [ ! -e "$1-wal" ] || fail "$1-wal created"
}
printf 'hello, not a database\n' >text.db
refuse text.db "'text.db' is not a SQLite database (left untouched)"
q foreign.db 'CREATE TABLE t(x); INSERT INTO t VALUES (1)'
refuse foreign.db "'foreign.db' is not a quantbench database (an SQLite file of another application; left untouched)"
cp other.db newer.db
q newer.db 'PRAGMA user_version = 7'
refuse newer.db "database 'newer.db' has schema version 7, newer than this quantbench knows (4); left untouched"
cp other.db corrupt.db
python3 - corrupt.db <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
for i in range(4096 + 8, len(b), 61):
    b[i] ^= 0x5a
open(p, 'wb').write(bytes(b))
PY
run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db corrupt.db
expect_rc 3 "corrupt"
expect_err_has "database 'corrupt.db' is corrupt"
run "$QB" report --db text.db
expect_rc 3 "report on a bad file"
expect_err "quantbench: error: 'text.db' is not a SQLite database (left untouched)"

# SIGKILL in the middle of a run: every finished row is there, the file is consistent
"$QB" bench -m "$m" -p 64 -n 32 -t 1 -r 3 -d 0,16,32,48,64,80,96,112,128,144 --db killed.db \
    >/dev/null 2>killed.err &
pid=$!
for _ in $(seq 1 600); do
    n=0
    [ -s killed.db ] && n=$(q killed.db 'SELECT count(*) FROM results' 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 3 ] && break
    sleep 0.1
done
kill -9 $pid
wait $pid 2>/dev/null
[ "$(q killed.db 'PRAGMA integrity_check')" = ok ] || fail "integrity after SIGKILL"
n=$(q killed.db 'SELECT count(*) FROM results')
[ "$n" -ge 3 ] && [ "$n" -lt 20 ] || fail "rows after SIGKILL: $n"
[ "$(q killed.db 'SELECT status FROM runs')" = running ] || fail "killed run still marked running"
# every stored row is whole
[ "$(q killed.db "SELECT count(*) FROM results WHERE json_valid(row) AND json_array_length(json_extract(row, '$.samples_ts')) = 3")" = "$n" ] ||
    fail "a partial row"
run "$QB" report --db killed.db --runs
expect_rc 0 "report --runs after SIGKILL"
expect_out_has "| running |"
# and the database takes the next run
run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db killed.db
expect_rc 0 "after SIGKILL"
[ "$(q killed.db 'SELECT count(*) FROM runs')" = 2 ] || fail "next run"
echo ok
