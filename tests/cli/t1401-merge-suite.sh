# merge: shards of one suite (each database holds the whole plan and the cells it ran, as
# a Slurm job array's tasks write them) merge into one suite whose table equals the table
# of one process that ran every cell; in either order, twice, or with a shard merged
# again from a second copy nothing is added; a cell measured twice with other results is
# a conflict (reported, the first kept, exit 4); an interrupted cell does not hide a
# finished one
. "$(dirname "$0")/lib.sh"
a=$(model_dense)
cat >s.json <<JSON
{"name": "t1401", "models": ["$a"], "settings": {"t": [1, 2], "ub": 64},
 "tests": [{"test": "bench", "p": 16, "n": 4, "r": 1}]}
JSON
run "$QB" run s.json --db full.db --no-progress
expect_rc 0 "the single-process run"
"$QB" report --db full.db --suite last >full.md || fail "report full"
q() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchall())" "$@"; }
[ "$(q full.db 'select count(*) from cells')" = "[(4,)]" ] || fail "4 cells"
# shard K of 2: the whole plan, the cells of idx % 2 == K, a run of its own (uid, start)
shard() {
    cp full.db "$2"
    python3 - "$2" "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); k = int(sys.argv[2])
keep = [r[0] for r in c.execute("select key from suite_plan where idx % 2 = ?", (k,))]
marks = ",".join("?" * len(keep))
c.execute(f"delete from results where cell_id in (select id from cells where key not in ({marks}))", keep)
c.execute(f"delete from cells where key not in ({marks})", keep)
c.execute("delete from events where cell is not null and cell % 2 != ?", (k,))
c.execute("update meta set value = ? where key = 'run_uid:1'", ("shard%d" % k + "0" * 26,))
c.execute("update runs set started = ?", ("2026-01-01T00:00:0%dZ" % k,))
c.commit()
PY
}
shard 0 s0.db
shard 1 s1.db
[ "$(q s0.db 'select count(*) from cells')" = "[(2,)]" ] || fail "setup: shard 0"
"$QB" report --db s0.db --suite last | grep -qF ' - |' || fail "setup: a shard alone misses cells"
s0sum=$(sha256sum s0.db s1.db)

run "$QB" merge s0.db s1.db -o all.db
expect_rc 0 "merge"
expect_out_has "s0.db: added 1 run, 2 cells, 2 rows"
expect_out_has "s1.db: added 1 run, 2 cells, 2 rows"
expect_out_has "all.db: 2 runs, 4 rows"
expect_out_has "suite of 4 cells (2 runs): 4 ok, 0 not ok, 0 missing; report --suite 2"
[ "$(sha256sum s0.db s1.db)" = "$s0sum" ] || fail "the inputs were written"
"$QB" report --db all.db --suite last >all.md || fail "report merged"
diff full.md all.md >&2 || fail "merged table differs from the single process's"
"$QB" report --db all.db --suite 1 | diff full.md - >&2 || fail "shard 0's suite run shows all cells too"
for f in md csv json; do
    "$QB" report --db full.db --suite last -o $f >f.$f && "$QB" report --db all.db --suite last -o $f >a.$f &&
        cmp -s f.$f a.$f || fail "report -o $f differs"
done

# the dashboard's server on the merged database: the suite run with every shard's cell
port=$(free_port)
"$QB" serve --db all.db --port "$port" >serve.out 2>serve.err &
spid=$!
trap 'kill $spid 2>/dev/null' EXIT
wait_up "http://127.0.0.1:$port/api/runs" $spid || { cat serve.err; fail "serve on the merged database"; }
curl -sf "http://127.0.0.1:$port/api/run?id=2" >run2.json || fail "api/run"
json_get run2.json "sorted(c['status'] for c in j['cells'])" | grep -qxF "['ok', 'ok', 'ok', 'ok']" ||
    { head -c 600 run2.json; fail "api/run: 4 ok cells"; }
kill $spid
wait $spid 2>/dev/null
trap - EXIT

# the other order: the same table
run "$QB" merge s1.db s0.db -o rev.db
expect_rc 0 "merge in reverse"
"$QB" report --db rev.db --suite last | diff full.md - >&2 || fail "reverse order's table"

# again, and a second copy of shard 1 (another run of the same cells): nothing added
cp all.db before.db
"$QB" report --db all.db >rows.before || fail "report rows"
run "$QB" merge s0.db s1.db -o all.db
expect_rc 0 "merge again"
expect_out_has "s0.db: added 0 runs, 0 cells, 0 rows, 0 events; already there 1 run, 2 cells, 2 rows"
"$QB" report --db all.db >rows.after
cmp -s rows.before rows.after || fail "merging twice changed the report"
"$QB" report --db all.db --suite last | diff full.md - >&2 || fail "merging twice changed the table"
cp s1.db s1again.db
python3 -c "import sqlite3; c=sqlite3.connect('s1again.db'); c.execute(\"update meta set value='again' where key='run_uid:1'\"); c.commit()"
run "$QB" merge s1again.db -o all.db
expect_rc 0 "a shard that ran twice"
expect_out_has "s1again.db: added 1 run, 0 cells, 0 rows,"
expect_out_has "already there 0 runs, 2 cells, 2 rows; 0 superseded, 0 conflicts"
"$QB" report --db all.db --suite last | diff full.md - >&2 || fail "a shard twice changed the table"

# an interrupted cell of a key merged after the finished one: superseded, the table kept
cp s0.db s0int.db
python3 - <<'PY'
import sqlite3
c = sqlite3.connect('s0int.db')
c.execute("update meta set value = 'interrupted-run' where key = 'run_uid:1'")
c.execute("delete from results")
c.execute("update cells set status = 'interrupted', reason = 'SIGTERM'")
c.commit()
PY
run "$QB" merge s0int.db -o all.db
expect_rc 0 "an interrupted copy"
expect_out_has "2 superseded, 0 conflicts"
"$QB" report --db all.db --suite last | diff full.md - >&2 || fail "an interrupted cell hid a finished one"

# a task still running: merged while it writes (each merge a consistent copy), then
# once more at its end: its end and the rest of its cells come in, nothing twice
sed 's/"t": \[1, 2\]/"t": [1, 2, 3, 4]/; s/"n": 4, "r": 1/"n": 16, "r": 3/' s.json >long.json
"$QB" run long.json --db live.db --no-progress >live.out 2>live.err &
lpid=$!
n_live=0
while kill -0 $lpid 2>/dev/null; do
    if [ -e live.db ]; then
        run "$QB" merge live.db -o live-out.db
        [ "$rc" = 0 ] || { cat "$T/err"; fail "a merge while the run writes: exit $rc"; }
        n_live=$((n_live + 1))
    fi
    sleep 0.2
done
wait $lpid || { cat live.err; fail "the live run"; }
[ "$n_live" -ge 2 ] || fail "setup: merged only $n_live times while it ran"
echo "t1401: merged $n_live times while the run wrote" >&2
run "$QB" merge live.db -o live-out.db
expect_rc 0 "the end of the live run"
[ "$(q live-out.db "select status from runs")" = "[('ok',)]" ] || fail "the run's end: $(q live-out.db 'select status from runs')"
[ "$(q live-out.db "select count(*), count(distinct key) from cells")" = "[(8, 8)]" ] || fail "live cells: $(q live-out.db 'select count(*), count(distinct key) from cells')"
[ "$(q live-out.db "select count(*) from events")" = "$(q live.db "select count(*) from events")" ] || fail "live events"
"$QB" report --db live.db --suite last >live.md
"$QB" report --db live-out.db --suite last | diff live.md - >&2 || fail "the live run's table"

# two real runs of the same suite: every cell measured twice with other results
cp all.db pre-conflict.db
run "$QB" run s.json --db other.db --no-progress
expect_rc 0 "the other run"
run "$QB" merge other.db -o all.db
expect_rc 4 "conflicts"
[ "$(grep -c '^quantbench: warning: conflict: cell [0-9a-f]* (' "$T/err")" = 4 ] || { cat "$T/err"; fail "4 conflict lines"; }
expect_err_has "other.db run 1 has other results than the one kept (from run 1 of s0.db); not merged"
expect_err_has "quantbench: error: 4 conflicts: the cells kept are the first of each key"
expect_out_has "other.db: added 1 run, 0 cells, 0 rows"
expect_out_has "0 superseded, 4 conflicts"
"$QB" report --db all.db --suite last | diff full.md - >&2 || fail "a conflict changed the table"
# merging it again: the same conflicts, nothing added
run "$QB" merge other.db -o all.db
expect_rc 4 "conflicts again"
expect_out_has "other.db: added 0 runs, 0 cells, 0 rows, 0 events; already there 1 run, 0 cells, 0 rows; 0 superseded, 4 conflicts"
[ "$(q all.db 'pragma integrity_check')" = "[('ok',)]" ] || fail "integrity"
exit 0
