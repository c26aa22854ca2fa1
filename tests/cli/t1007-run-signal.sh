# run and SIGINT / SIGTERM: the cell in flight is given up (not stored, an event says so),
# the finished cells are kept, the run ends 'interrupted' with exit 130 / 143 and no worker
# left behind; the next run measures exactly the cells that are missing
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sig.sh"
a=$(model_dense)
cat >s.json <<JSON
{"models": ["$a"], "settings": {"t": "1,2"},
 "tests": [{"test": "bench", "p": 512, "n": 128, "r": 3}, {"test": "quality", "file": "text.txt", "c": 128, "chunks": 40}]}
JSON
head -c 60000 /usr/share/common-licenses/GPL-3 >text.txt
export QB_DB=$T/q.db
n=0
for sig in INT TERM; do
    bg "$QB" run s.json --no-progress
    # after the first cell is stored, in the middle of the next
    wait_for 60 "[ \"\$(sql '$QB_DB' 'select count(*) from cells')\" -gt $n ] 2>/dev/null"
    kill -s "$sig" "$bg_pid"
    wait "$bg_pid"
    rc=$?
    [ "$sig" = INT ] && want=130 || want=143
    [ "$rc" = "$want" ] || { cat "$T/err"; fail "SIG$sig: exit $rc, want $want"; }
    grep -qF "interrupted by SIG$sig" "$T/err" || { cat "$T/err"; fail "SIG$sig message"; }
    [ -z "$(children)" ] || fail "workers left after SIG$sig"
    [ "$(sql "$QB_DB" "select status from runs order by id desc limit 1")" = interrupted ] ||
        fail "run status after SIG$sig: $(sql "$QB_DB" "select status from runs order by id desc limit 1")"
    [ "$(sql "$QB_DB" "select count(*) from cells where status != 'ok'")" = 0 ] || fail "an interrupted cell was stored"
    n=$(sql "$QB_DB" 'select count(*) from cells')
    echo "t1007: after SIG$sig: $n cells stored"
done
# 2 settings x (pp512, tg128, ppl): 6 cells; the rest now
run "$QB" run s.json --no-progress
expect_rc 0 "the rest"
[ "$(sql "$QB_DB" 'select count(*) from cells')" = 6 ] || fail "6 cells"
[ "$(sql "$QB_DB" "select count(*) from events where run_id = 3 and kind = 'cell_started'")" = $((6 - n)) ] ||
    fail "the third run measured $(sql "$QB_DB" "select count(*) from events where run_id = 3 and kind = 'cell_started'"), want $((6 - n))"
exit 0
