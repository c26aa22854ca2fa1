# run after SIGKILL: three kills at random moments (seeded, printed) of a 6-cell suite, then a
# fourth run completes; the database holds exactly one result per cell, none twice, none
# partial, and passes integrity_check
. "$(dirname "$0")/lib.sh"
a=$(model_dense)
cp "$a" a.gguf
cp "$a" b.gguf
cat >s.json <<JSON
{"models": ["a.gguf", "b.gguf"],
 "settings": {"t": 1},
 "tests": [{"test": "bench", "p": 64, "n": 16, "r": 3}, {"test": "bench", "p": 0, "n": 0, "pg": "32,8", "r": 3}]}
JSON
# 2 models x (pp64, tg16, pp32+tg8) = 6 cells
export QB_DB=$T/q.db
seed=${QB_KILL_SEED:-$(date +%s)}
echo "t1001: kill seed $seed"
RANDOM=$seed
q() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchall())" "$QB_DB" "$1"; }
for k in 1 2 3; do
    ms=$((200 + RANDOM % 2500))
    "$QB" run s.json --no-progress >"run$k.out" 2>"run$k.err" &
    pid=$!
    sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    echo "t1001: kill $k after ${ms} ms: $( [ -f "$QB_DB" ] && q 'select count(*) from cells' || echo 'no database yet')"
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
