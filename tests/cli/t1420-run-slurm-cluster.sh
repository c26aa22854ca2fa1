# run --slurm on a real one-node Slurm cluster (tests/slurm_cluster.sh starts Debian's
# munged, slurmctld and slurmd on this host): a 4-shard job array of an 8-cell suite is
# submitted; one task gets the time limit's warning (USR1 to its batch shell, as
# --signal=B:USR1 sends it) in the middle of a cell, gives that cell up, requeues itself and
# resumes by cell key; then the task databases, merged, hold exactly the cells (keys,
# statuses) of a single-process run of the suite, each once.
. "$(dirname "$0")/lib.sh"
t_start=$(date +%s)
cp "$(model_dense)" a.gguf
cp "$(model_moe)" b.gguf
# 2 models x (pp256, tg64, pp256+tg256, mem) = 8 cells: shards 0-1, 2-3, 4-5, 6-7
cat >s.json <<'JSON'
{"name": "slurm test",
 "models": ["a.gguf", "b.gguf"],
 "settings": {"t": 1, "ngl": 0},
 "tests": [{"test": "bench", "p": 256, "n": 64, "pg": "256,256", "r": 8},
           {"test": "mem", "c": 1024}]}
JSON
cl=$T/cluster
up=$(bash "$QB_SRC/tests/slurm_cluster.sh" start "$cl" 2>"$T/cluster.err")
case $? in
0) ;;
77) fail "no Slurm here: $(cat "$T/cluster.err") (scripts/setup.sh installs it)" ;;
*) fail "the test cluster did not start: $(cat "$T/cluster.err")" ;;
esac
trap 'bash "$QB_SRC/tests/slurm_cluster.sh" stop "$cl"' EXIT
eval "$up"
export PATH=$PATH:/usr/sbin
echo "t1420: cluster up in $(($(date +%s) - t_start)) s: $(sinfo -h -o '%P %N %c CPUs %T')"

# the single-process run the array must equal
run "$QB" run s.json --db single.db --no-progress
expect_rc 0 "single-process run"

o="$T/out dir"
run "$QB" run s.json --slurm --shards 4 --array-limit 2 -o "$o" --submit
expect_rc 0 "submit"
job=$(cat "$T/out")
case $job in '' | *[!0-9]*) fail "job id '$job'" ;; esac
grep -qx '#SBATCH --array=0-3%2' "$o/job.sbatch" || fail "array line: $(grep array "$o/job.sbatch")"
echo "t1420: submitted job $job"

q() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchall())" "$@"; }
# task 1: the warning in the middle of its first cell
t1=$o/task-1.db
for _ in $(seq 600); do
    [ -f "$t1" ] && [ "$(q "$t1" "select count(*) from events where kind = 'cell_started'" 2>/dev/null)" != "[(0,)]" ] && break
    sleep 0.1
done
[ "$(q "$t1" "select count(*) from cells")" = "[(0,)]" ] || fail "task 1 finished a cell before the warning: the kill is not mid-cell"
sleep 0.3
# (to the task's own job id: for "JOB_1" slurmctld may answer "can not be altered now"
# although the signal went, and scancel then retries for minutes: the log says whether it
# took)
id1=$(squeue -h -j "${job}_1" -o %A)
for _ in $(seq 20); do
    timeout 5 scancel --signal=USR1 --batch "$id1" 2>>"$T/scancel.err"
    for _ in $(seq 30); do
        grep -q 'requeued, the next start resumes' "$o/logs/${job}_1.out" 2>/dev/null && break 2
        sleep 0.1
    done
done
echo "t1420: USR1 to task 1 after $(($(date +%s) - t_start)) s"
grep -q 'requeued' "$o/logs/${job}_1.out" ||
    fail "task 1 did not requeue: $(cat "$o/logs/${job}_1.out" "$T/scancel.err")"
# pending again: its begin time moved to now (not Slurm's 2-minute hold of a requeued job)
for _ in $(seq 300); do
    st=$(squeue -h -j "${job}_1" -o '%T %r' 2>/dev/null)
    case $st in
    'PENDING BeginTime') scontrol update JobId="${job}_1" StartTime=now ;;
    RUNNING* | '') break ;;
    esac
    sleep 0.1
done
# the whole array
for _ in $(seq 1800); do
    [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
    sleep 0.2
done
[ -z "$(squeue -h -j "$job")" ] || fail "the array did not end: $(squeue -j "$job")"
echo "t1420: the array ended after $(($(date +%s) - t_start)) s"
for k in 0 1 2 3; do
    log=$o/logs/${job}_$k.out
    grep -q "quantbench: shard $k/4: done at .*, exit 0" "$log" || fail "task $k: $(cat "$log")"
done
[ "$(grep -c '^quantbench: shard 1/4: job .* start ' "$o/logs/${job}_1.out")" = 2 ] ||
    fail "task 1 started not twice: $(cat "$o/logs/${job}_1.out")"
grep -q 'start 2$' "$o/logs/${job}_1.out" || fail "task 1's second start is not Slurm's restart 1"
# the interrupted cell was given up (an event), not stored, then measured by the second start
[ "$(q "$t1" "select count(*) from events where kind = 'cell_interrupted'")" = "[(1,)]" ] ||
    fail "task 1: no cell_interrupted event: $(q "$t1" "select kind from events")"
[ "$(q "$t1" "select count(*) from runs")" = "[(2,)]" ] || fail "task 1: two runs"
[ "$(q "$t1" "select status from runs order by id")" = "[('interrupted',), ('ok',)]" ] ||
    fail "task 1's runs: $(q "$t1" "select status from runs order by id")"

# each task keeps the whole plan (8 cells) and ran its block of them, in run order
for k in 0 1 2 3; do
    want="[($((2 * k)),), ($((2 * k + 1)),)]"
    [ "$(q "$o/task-$k.db" "select count(distinct idx) from suite_plan")" = "[(8,)]" ] ||
        fail "shard $k's plan: $(q "$o/task-$k.db" "select distinct idx from suite_plan")"
    got=$(q "$o/task-$k.db" "select distinct p.idx from cells c join suite_plan p on p.key = c.key order by p.idx")
    [ "$got" = "$want" ] || fail "shard $k's cells: $got"
done

# the cells of all tasks = the single run's: the same keys and statuses, each once
python3 - "$T/single.db" "$o"/task-*.db <<'PY' || fail "the shards' cells differ from the single run's"
import sqlite3, sys
def cells(p):
    return sorted(sqlite3.connect(p).execute("select key, status from cells").fetchall())
single = cells(sys.argv[1])
union = sorted(c for p in sys.argv[2:] for c in cells(p))
assert len(single) == 8 and all(s == "ok" for _, s in single), single
assert union == single, (union, single)
PY
# the task databases merged (quantbench merge): the same cells and table, twice
{
    run "$QB" merge "$o"/task-*.db -o all.db
    expect_rc 0 "merge"
    python3 - "$T/single.db" all.db <<'PY' || fail "the merged cells differ from the single run's"
import sqlite3, sys
def cells(p):
    return sorted(sqlite3.connect(p).execute("select key, status from cells").fetchall())
assert cells(sys.argv[1]) == cells(sys.argv[2]), (cells(sys.argv[1]), cells(sys.argv[2]))
PY
    # merged twice: nothing added
    run "$QB" merge "$o"/task-*.db -o all.db
    expect_rc 0 "merge again"
    [ "$(q all.db "select count(*) from cells")" = "[(8,)]" ] || fail "merged twice: $(q all.db "select count(*) from cells")"
    # the merged table: the single run's models and cells, none failed or missing
    run "$QB" report --db all.db --suite last -o json
    expect_rc 0 "report --suite on the merged database"
    cp "$T/out" merged.json
    run "$QB" report --db single.db --suite last -o json
    cp "$T/out" single.json
    python3 - single.json merged.json <<'PY' || fail "the merged table differs from the single run's"
import json, sys
def shape(p):
    rows = json.load(open(p))
    for r in rows:  # every cell's figure there: pp, tg, load, peak memory
        assert None not in (r["pp_ts"], r["tg_ts"], r["load_cold_s"], r["peak_host_mib"]), r
    return sorted(json.dumps([r[k] for k in ("group", "model", "settings", "pp_test", "tg_test",
                                             "failed")]) for r in rows)
a, b = shape(sys.argv[1]), shape(sys.argv[2])
assert a == b and len(a) == 2, (a, b)
PY
    echo "t1420: merged: the same 8 cells as the single-process run"
}
echo "t1420: $(($(date +%s) - t_start)) s in all"
exit 0
