# run after SIGKILL: three kills at random moments (seeded, printed) of a 6-cell suite, then a
# fourth run completes; the database holds exactly one result per cell, none twice, none
# partial, and passes integrity_check
. "$(dirname "$0")/lib.sh"
a=$(model_dense)
cp "$a" a.gguf
cp "$(model_moe)" b.gguf
cat >s.json <<JSON
{"models": ["a.gguf", "b.gguf"],
 "settings": {"t": 1},
 "tests": [{"test": "bench", "p": 256, "n": 64, "r": 3}, {"test": "bench", "p": 0, "n": 0, "pg": "128,32", "r": 3}]}
JSON
# 2 models x (pp64, tg16, pp32+tg8) = 6 cells
export QB_DB=$T/q.db
seed=${QB_KILL_SEED:-$(date +%s)}
echo "t1001: kill seed $seed"
RANDOM=$seed
q() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchall())" "$QB_DB" "$1"; }
# how long the whole suite takes here (a database of its own): kills land inside it
t0=$(date +%s%N)
QB_DB=$T/calib.db "$QB" run s.json --no-progress >/dev/null 2>&1 || fail "calibration run"
full_ms=$((($(date +%s%N) - t0) / 1000000))
echo "t1001: the whole suite takes ${full_ms} ms"
for k in 1 2 3; do
    done_n=0
    [ -f "$QB_DB" ] && done_n=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from cells').fetchone()[0])" "$QB_DB")
    # a moment inside what is left of the run: the set-up, or any cell but the last's end
    left_ms=$((full_ms * (6 - done_n) / 6))
    ms=$((20 + RANDOM % (left_ms > 40 ? left_ms - 20 : 20)))
    "$QB" run s.json --no-progress >"run$k.out" 2>"run$k.err" &
    pid=$!
    sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    n=$( [ -f "$QB_DB" ] && q 'select count(*) from cells' || echo 'no database yet')
    echo "t1001: kill $k after ${ms} ms: cells stored: $n"
    [ ! -f "$QB_DB" ] || [ "$(q 'pragma integrity_check')" = "[('ok',)]" ] || fail "integrity after kill $k"
    [ ! -f "$QB_DB" ] || [ "$(q 'select count(*) from results r left join cells c on c.id = r.cell_id where c.id is null')" = "[(0,)]" ] ||
        fail "a partial cell after kill $k"
done
run "$QB" run s.json --no-progress
expect_rc 0 "fourth run"
[ "$(q 'select count(*) from cells')" = "[(6,)]" ] || fail "6 cells: $(q 'select key, test, run_id from cells')"
[ "$(q 'select count(distinct key) from cells')" = "[(6,)]" ] || fail "a cell twice"
[ "$(q "select count(*) from cells where status != 'ok'")" = "[(0,)]" ] || fail "failed cells"
[ "$(q 'select count(*) from results')" = "[(6,)]" ] || fail "6 rows: $(q 'select count(*) from results')"
[ "$(q 'select count(*) from results r left join cells c on c.id = r.cell_id where c.id is null')" = "[(0,)]" ] ||
    fail "a row without its cell"
[ "$(q 'pragma integrity_check')" = "[('ok',)]" ] || fail "integrity"
# the last run ran exactly what the kills left
left=$(q "select count(*) from events where run_id = (select max(id) from runs) and kind = 'cell_started'")
echo "t1001: the fourth run measured $left"
exit 0
