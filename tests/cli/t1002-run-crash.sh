# run: a cell whose worker crashes (test-only fault) is recorded as crashed with the
# worker's stderr tail, the other cells run, the exit is 4; a rerun reuses the failure;
# --retry-failed reruns that cell alone
. "$(dirname "$0")/lib.sh"
a=$(model_dense)
cp "$(model_moe)" crashme.gguf
cat >s.json <<JSON
{"models": [{"path": "$a", "settings": {"t": "1,2"}}, "crashme.gguf"],
 "settings": {"t": 1},
 "tests": [{"test": "bench", "p": 32, "n": 0, "r": 2}]}
JSON
export QB_DB=$T/q.db
q() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchall())" "$QB_DB" "$1"; }
QB_TEST_FAULT=segv:crashme run "$QB" run s.json --no-progress
expect_rc 4 "a crashed cell"
[ "$(q "select test, status from cells order by id")" = "[('pp32', 'ok'), ('pp32', 'ok'), ('pp32', 'crashed')]" ] ||
    fail "cells: $(q 'select model, test, status from cells')"
tail=$(q "select stderr_tail from cells where status = 'crashed'")
case $tail in *SIGSEGV*) ;; *) fail "stderr tail: $tail" ;; esac
grep -q '^| crashme.gguf .*pp32:crashed' "$T/out" || { cat "$T/out"; fail "failed cell in the table"; }
# again: nothing runs, the failure stands
run "$QB" run s.json --no-progress
expect_rc 4 "rerun"
[ "$(q "select count(*) from events where run_id = 2 and kind = 'cell_started'")" = "[(0,)]" ] || fail "rerun ran cells"
# --retry-failed: that one cell, now without the fault
run "$QB" run s.json --no-progress --retry-failed
expect_rc 0 "retry"
[ "$(q "select count(*) from events where run_id = 3 and kind = 'cell_started'")" = "[(1,)]" ] || fail "retry ran $(q "select count(*) from events where run_id = 3 and kind = 'cell_started'")"
[ "$(q "select model, status from cells where run_id = 3")" = "[('crashme.gguf', 'ok')]" ] || fail "retried cell"
exit 0
