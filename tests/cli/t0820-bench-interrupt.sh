# bench stopped by SIGINT (Ctrl-C) or SIGTERM mid-grid: the worker (its process group) is
# killed at once, every finished row is written (whole lines) and stored, the test that was
# running is a row with status 'interrupted', nothing else runs, the run is 'interrupted',
# the database is consistent and the exit code is 130 / 143
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sig.sh"
m=$(model_dense)
cp "$m" fine.gguf
cp "$m" stuck.gguf # its worker hangs at its first test (test-only fault)

for sig in INT TERM; do
    db=$sig.db
    want_rc=$([ $sig = INT ] && echo 130 || echo 143)
    # -v echoes the workers' stderr: the hang is seen there
    QB_TEST_FAULT=hang:stuck bg "$QB" bench -m fine.gguf,stuck.gguf,fine.gguf -p 16 -n 4 -r 1 -t 1 \
        -o jsonl --db "$db" -v
    # fine.gguf's two rows are stored, then stuck.gguf's worker hangs
    wait_for 60 '[ "$(sql "$db" "SELECT count(*) FROM results")" = 2 ] && grep -qs "test fault .hang. injected" "$T/err"'
    workers=$(children)
    [ -n "$workers" ] || fail "$sig: no worker seen"
    stop_with $sig
    expect_rc "$want_rc" "SIG$sig"
    grep -qFx "quantbench: error: interrupted by SIG$sig: finished rows are kept" "$T/err" ||
        fail "$sig: stderr: $(tail -n 3 "$T/err")"
    [ "$(grep -c "^quantbench: error: " "$T/err")" = 1 ] || fail "$sig: more than one error"
    grep -q "interrupted: interrupted" "$T/err" && fail "$sig: the interrupted row was reported as a failure"
    expect_gone "$workers"
    # stdout: complete lines, the two finished rows and the interrupted one; nothing after
    python3 - "$T/out" "$sig" <<'PY' || fail "$sig: output"
import json, sys
text = open(sys.argv[1]).read()
assert text.endswith('\n'), repr(text[-80:])
rows = [json.loads(l) for l in text.splitlines()]
got = [(r['model_filename'], r['n_prompt'], r['n_gen'], r['status']) for r in rows]
assert got == [('fine.gguf', 16, 0, 'ok'), ('fine.gguf', 0, 4, 'ok'),
               ('stuck.gguf', 16, 0, 'interrupted')], got
assert rows[2]['error'] == 'interrupted by SIG' + sys.argv[2], rows[2]['error']
PY
    expect_db_ok "$db"
    [ "$(sql "$db" "SELECT status FROM runs")" = interrupted ] || fail "$sig: run status"
    [ "$(sql "$db" "SELECT ended IS NOT NULL FROM runs")" = 1 ] || fail "$sig: run not ended"
    [ "$(sql "$db" "SELECT group_concat(status || ':' || test, ' ') FROM (SELECT * FROM results ORDER BY id)")" = \
        "ok:pp16 ok:tg4 interrupted:pp16" ] || fail "$sig: stored rows: $(sql "$db" "SELECT group_concat(status || ':' || test, ' ') FROM results")"
done

# md: the table so far, ending in a whole line
QB_TEST_FAULT=hang:stuck bg "$QB" bench -m fine.gguf,stuck.gguf -p 16 -n 0 -r 1 -t 1 --db md.db -v
wait_for 60 '[ "$(sql md.db "SELECT count(*) FROM results")" = 1 ] && grep -qs "test fault .hang. injected" "$T/err"'
stop_with INT
expect_rc 130 "md"
[ "$(grep -c '^| .* pp16 |' "$T/out")" = 2 ] || { cat "$T/out"; fail "md: rows"; }
[ "$(grep '^| .* pp16 |' "$T/out" | grep -c '| *interrupted |')" = 1 ] || { cat "$T/out"; fail "md: interrupted row"; }
expect_out_has "build: " # the table was ended
[ "$(tail -c 1 "$T/out" | od -An -c | tr -d ' ')" = '\n' ] || fail "md: a cut line"

# a second signal forces: whatever the first was doing, the process is gone at once
QB_TEST_FAULT=hang:stuck bg "$QB" bench -m stuck.gguf -p 16 -n 0 -r 1 -t 1 --no-db
wait_for 60 '[ -n "$(children)" ]'
workers=$(children)
kill -INT "$bg_pid"
kill -INT "$bg_pid" 2>/dev/null # unless the first was quicker
wait "$bg_pid"
rc=$?
expect_rc 130 "forced"
expect_gone "$workers"
