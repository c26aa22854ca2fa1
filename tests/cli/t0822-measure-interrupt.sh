# sweep, batched, quality and ctxmax stopped by SIGINT / SIGTERM while their worker works:
# it is killed at once, exit 130 / 143, the one error line says so, the row of the work
# that was cut says 'interrupted' (stored, the run 'interrupted'), quality's half-written
# base file is removed, ctxmax stops searching and keeps the probes that ran
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sig.sh"
m=$(model_dense)
cp "$m" stuck.gguf # its workers hang at their first run (test-only fault)
head -c 30000 /dev/urandom | base64 >text.txt

# interrupt SIGNAL NAME CMD...: run it with -v until its worker hangs, then signal it
interrupt() {
    local sig=$1 name=$2
    shift 2
    QB_TEST_FAULT=hang:stuck bg "$@" -v --db "$name.db"
    wait_for 60 'grep -qs "test fault .hang. injected" "$T/err"'
    workers=$(children)
    [ -n "$workers" ] || fail "$name: no worker seen"
    stop_with "$sig"
    expect_rc "$([ "$sig" = INT ] && echo 130 || echo 143)" "$name"
    [ "$(tail -n 1 "$T/err")" = "quantbench: error: interrupted by SIG$sig: finished rows are kept" ] ||
        fail "$name: stderr ends: $(tail -n 3 "$T/err")"
    [ "$(grep -c '^quantbench: error: ' "$T/err")" = 1 ] || fail "$name: more than one error"
    expect_gone "$workers"
}

# stored_as NAME KIND STATUS: the run and its one row
stored_as() {
    expect_db_ok "$1.db"
    [ "$(sql "$1.db" "SELECT status FROM runs")" = interrupted ] || fail "$1: run status"
    [ "$(sql "$1.db" "SELECT group_concat(kind || ':' || status) FROM results")" = "$2:$3" ] ||
        fail "$1: rows: $(sql "$1.db" "SELECT group_concat(kind || ':' || status) FROM results")"
}

interrupt INT sweep "$QB" sweep -m stuck.gguf -c 256 -ub 64 -t 1 -o jsonl
stored_as sweep sweep interrupted
[ "$(json_get "$T/out" "j['status'] + ' / ' + j['error']")" = "interrupted / interrupted by SIGINT" ] ||
    fail "sweep row: $(cat "$T/out")"

interrupt TERM batched "$QB" batched -m stuck.gguf -c 256 -b 128 -ub 64 -npp 16 -ntg 4 -npl 1,2 -t 1 -o jsonl
stored_as batched batched interrupted
[ "$(wc -l <"$T/out")" = 1 ] || fail "batched: the combinations after the cut one ran"

interrupt INT quality "$QB" quality -m stuck.gguf -f text.txt -c 128 --save-base base.bin -t 1 -o json
ls base.bin* 2>/dev/null && fail "quality: base file left"
[ -s "$T/out" ] && fail "quality: a row for a cut measurement"
# a real one (no fault), cut while its worker writes the base file
head -c 600000 /dev/urandom | base64 >long.txt
bg "$QB" quality -m "$m" -f long.txt -c 128 --save-base long.bin -t 1 -o json --no-db
wait_for 60 'ls long.bin.tmp.* >/dev/null 2>&1'
workers=$(children)
stop_with INT
expect_rc 130 "quality, real"
expect_err "quantbench: error: interrupted by SIGINT: finished rows are kept"
expect_gone "$workers"
ls long.bin* 2>/dev/null && fail "quality: the worker's temporary base file was left"

interrupt TERM ctxmax "$QB" ctxmax -m stuck.gguf --step 256 --max 2048 -t 1 -o json
stored_as ctxmax ctxmax interrupted
python3 - "$T/out" <<'PY' || fail "ctxmax row"
import json, sys
r = json.load(open(sys.argv[1]))
assert r['status'] == 'interrupted' and r['n_ctx_max'] == 0, r
assert [p['reason'] for p in r['probes']] == ['interrupted by SIGTERM'], r['probes']
PY
