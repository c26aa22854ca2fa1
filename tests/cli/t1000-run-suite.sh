# run: a suite of two models x (bench pp/tg, mem, quality) runs every cell once, stores
# the plan, the cells with their rows and the events, prints the table to share; a rerun
# reuses every cell; an edited setting reruns only the cells it changes; --dry-run lists
# them with what a run would do; --fresh measures them all again
. "$(dirname "$0")/lib.sh"
a=$(model_dense)
b=$(model_moe)
head -c 20000 /usr/share/common-licenses/GPL-3 >text.txt
cat >s.json <<JSON
{"name": "t1000",
 "models": ["$a", {"path": "$b", "quant": "F32", "settings": {"t": "1"}}],
 "settings": {"t": 1, "ub": 64},
 "tests": [{"test": "bench", "p": 32, "n": 8, "r": 2},
           {"test": "mem", "c": 256},
           {"test": "quality", "file": "text.txt", "c": 128, "chunks": 2}]}
JSON
export QB_DB=$T/q.db
run "$QB" run s.json
expect_rc 0 "first run"
cp "$T/out" first.out
cp "$T/err" first.err
# 2 models x (pp32, tg8, mem, ppl): 8 cells
q() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchall())" "$QB_DB" "$1"; }
[ "$(q 'select count(*) from cells')" = "[(8,)]" ] || fail "8 cells: $(q 'select test, status from cells')"
[ "$(q 'select count(distinct key) from cells')" = "[(8,)]" ] || fail "distinct keys"
[ "$(q "select count(*) from cells where status != 'ok'")" = "[(0,)]" ] || fail "all ok: $(q 'select test,status,reason from cells')"
[ "$(q 'select count(*) from results where cell_id is null')" = "[(0,)]" ] || fail "rows without cell"
[ "$(q "select kind, count(*) from results group by kind order by kind")" = "[('bench', 4), ('mem', 2), ('quality', 2)]" ] ||
    fail "rows per kind: $(q 'select kind, count(*) from results group by kind')"
[ "$(q "select count(*) from events where kind = 'cell_started'")" = "[(8,)]" ] || fail "8 started events"
[ "$(q "select count(*) from events where kind = 'cell_finished'")" = "[(8,)]" ] || fail "8 finished events"
[ "$(q "select count(*) from suite_plan")" = "[(8,)]" ] || fail "plan"
# the table: one row per model x settings (2), with speed, memory and perplexity
grep -q '^| model ' first.out || { cat first.out; fail "table header"; }
[ "$(grep -cE '^\| (dense|moe)\.gguf' first.out)" = 2 ] || { cat first.out; fail "two table rows"; }
grep -F 'dense.gguf' first.out | grep -qE '\| [0-9.]+ ± [0-9.]+ \|' || { cat first.out; fail "t/s ± ci"; }
grep -qF 'run: cell 1/8' first.err || { cat first.err; fail "plain progress lines"; }
grep -qF 'report --suite 1' first.err || { cat first.err; fail "report hint"; }

# a second run: everything reused, nothing started, the same table
run "$QB" run s.json --no-progress
expect_rc 0 "rerun"
[ "$(q "select count(*) from events where run_id = 2 and kind = 'cell_started'")" = "[(0,)]" ] || fail "rerun started cells"
[ "$(q 'select count(*) from cells')" = "[(8,)]" ] || fail "rerun added cells"
expect_err_has "8 of 8 cells are stored already"
diff <(grep -E '^\| (dense|moe)\.gguf' first.out | sed 's/|[^|]*|$//') <(grep -E '^\| (dense|moe)\.gguf' "$T/out" | sed 's/|[^|]*|$//') >/dev/null ||
    { diff first.out "$T/out"; fail "rerun table differs"; }

# report --suite prints the table again
run "$QB" report --suite 2
expect_rc 0 "report --suite"
[ "$(grep -cE '^\| (dense|moe)\.gguf' "$T/out")" = 2 ] || { cat "$T/out"; fail "report --suite rows"; }

# edit one setting of model b: only its 4 cells run again
sed -i 's/"settings": {"t": "1"}/"settings": {"t": "2"}/' s.json
run "$QB" run s.json --dry-run
expect_rc 0 "dry run"
[ "$(grep -c '| reuse |' "$T/out")" = 4 ] || { cat "$T/out"; fail "dry run: 4 reused"; }
[ "$(grep -c '| run |' "$T/out")" = 4 ] || { cat "$T/out"; fail "dry run: 4 to run"; }
grep -qF '8 cells; estimated time' "$T/out" || fail "dry run total"
[ "$(q 'select count(*) from runs')" = "[(2,)]" ] || fail "a dry run stores nothing"
run "$QB" run s.json --no-progress
expect_rc 0 "edited"
[ "$(q "select count(*) from events where run_id = 3 and kind = 'cell_started'")" = "[(4,)]" ] ||
    fail "edited: $(q "select count(*) from events where run_id = 3 and kind = 'cell_started'") started, want 4"
[ "$(q "select count(distinct e.cell) from events e where e.run_id = 3 and e.kind = 'cell_started'")" = "[(4,)]" ] || fail "4 distinct"
[ "$(q "select distinct model from cells where run_id = 3")" = "[('$b',)]" ] || fail "only model b reran"

# --fresh: every cell again
run "$QB" run s.json --no-progress --fresh
expect_rc 0 "fresh"
[ "$(q "select count(*) from events where run_id = 4 and kind = 'cell_started'")" = "[(8,)]" ] || fail "fresh runs 8"
[ "$(q "pragma integrity_check")" = "[('ok',)]" ] || fail "integrity"
exit 0
