# a failed worker is reported for what happened, from the kind of failure (not guessed
# from its message): an expired --timeout says timeout, never "out-of-memory killer" (the
# SIGKILL was ours); a SIGKILL from someone else says so, and OOM only when the cgroup's
# OOM-kill count grew (or cannot be read); the same in bench, sweep and batched
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sig.sh"
m=$(model_dense)
cp "$m" stuck.gguf # its worker hangs at its first run (test-only fault)
words="its last words: test fault 'hang' injected"

QB_TEST_FAULT=hang:stuck run "$QB" bench -m stuck.gguf -p 16 -n 0 -r 1 -t 1 --timeout 1 -o json --db t.db
expect_rc 1 "bench timeout"
expect_err "quantbench: error: 'stuck.gguf' pp16 t=1: timeout: worker timed out after 1 s; $words"
[ "$(json_get "$T/out" "j[0]['status'] + ' / ' + j[0]['error']")" = "timeout / worker timed out after 1 s; $words" ] ||
    fail "row: $(json_get "$T/out" "j[0]['error']")"
[ "$(sql t.db "SELECT status || ' / ' || reason FROM results")" = "timeout / worker timed out after 1 s; $words" ] ||
    fail "stored: $(sql t.db "SELECT status || ' / ' || reason FROM results")"

QB_TEST_FAULT=hang:stuck run "$QB" sweep -m stuck.gguf -c 256 -ub 64 -t 1 --timeout 1 -o jsonl --no-db
expect_rc 1 "sweep timeout"
expect_err "quantbench: error: sweep of 'stuck.gguf': timeout: worker timed out after 1 s; $words"
QB_TEST_FAULT=hang:stuck run "$QB" batched -m stuck.gguf -c 256 -b 128 -ub 64 -npp 16 -ntg 4 -npl 1 -t 1 \
    --timeout 1 -o jsonl --no-db
expect_rc 1 "batched timeout"
grep -q '"status":"timeout"' "$T/out" || fail "batched status: $(cat "$T/out")"
grep -q 'out-of-memory' "$T/out" "$T/err" && fail "batched: a timeout called out-of-memory"

# a SIGKILL we did not send
QB_TEST_FAULT=hang:stuck bg "$QB" bench -m stuck.gguf -p 16 -n 0 -r 1 -t 1 -o json --no-db -v
wait_for 60 'grep -qs "test fault .hang. injected" "$T/err"'
kill -KILL "$(children)"
wait "$bg_pid"
rc=$?
expect_rc 1 "killed"
python3 - "$T/out" <<'PY' || fail "killed: $(cat "$T/out")"
import json, sys
r = json.load(open(sys.argv[1]))[0]
st, msg = r['status'], r['error']
assert msg.startswith('worker killed by'), msg
# the OOM killer only when the cgroup says so, or when it cannot be asked
assert (st, msg.split(';')[0]) in (
    ('crashed', 'worker killed by signal 9 (SIGKILL)'),
    ('oom', 'worker killed by signal 9 (SIGKILL), likely the out-of-memory killer')), (st, msg)
PY
