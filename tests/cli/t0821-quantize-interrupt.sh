# quantize stopped by SIGTERM / SIGINT: the rung being made is abandoned and its partial
# file removed (no *.tmp.* left), the rungs made are kept with their rows (written and
# stored), no further rung is started, the run is 'interrupted', exit 143 / 130; the same
# while the importance matrix is being computed
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sig.sh"
"$QB" synth -o src-F16.gguf --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 2048 \
    --type F16 --seed 41 >&2 || fail "synth"

for sig in TERM INT; do
    want_rc=$([ $sig = INT ] && echo 130 || echo 143)
    dir=lad-$sig db=$sig.db
    # the Q4_0 rung's worker begins its file, then hangs (test-only fault)
    QB_TEST_FAULT=hang:Q4_0 bg "$QB" quantize -m src-F16.gguf --types Q8_0,Q4_0,Q6_K -o "$dir" -t 1 \
        --format jsonl --db "$db"
    wait_for 60 'ls "$dir"/src-Q4_0.gguf.tmp.* >/dev/null 2>&1'
    workers=$(children)
    [ -n "$workers" ] || fail "$sig: no worker seen"
    stop_with $sig
    expect_rc "$want_rc" "SIG$sig"
    expect_err "quantbench: error: interrupted by SIG$sig: finished rows are kept"
    expect_gone "$workers"
    [ "$(cd "$dir" && echo *)" = "src-Q8_0.gguf src-Q8_0.gguf.source" ] ||
        fail "$sig: files left: $(ls -a "$dir")"
    python3 - "$T/out" "$sig" <<'PY' || fail "$sig: rows"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
got = [(r['type'], r['action'], r['status']) for r in rows]
assert got == [('Q8_0', 'made', 'ok'), ('Q4_0', 'interrupted', 'interrupted')], got
assert rows[1]['error'] == 'interrupted by SIG' + sys.argv[2], rows[1]
PY
    expect_db_ok "$db"
    [ "$(sql "$db" "SELECT status FROM runs")" = interrupted ] || fail "$sig: run status"
    [ "$(sql "$db" "SELECT group_concat(status, ' ') FROM (SELECT status FROM results WHERE kind = 'quantize' ORDER BY id)")" = \
        "ok interrupted" ] || fail "$sig: stored rows"
    # the next run makes the rest; the kept rung is skipped, not redone
    run "$QB" quantize -m src-F16.gguf --types Q8_0,Q4_0,Q6_K -o "$dir" -t 1 --format jsonl --no-db
    expect_rc 0 "$sig: resumed"
    [ "$(grep -c '"action":"skipped"' "$T/out")" = 1 ] || fail "$sig: Q8_0 not kept"
done

# while --imatrix-from computes the matrix: nothing of it is left
cp src-F16.gguf stuck-F16.gguf
head -c 20000 /dev/urandom | base64 >text.txt
QB_TEST_FAULT=hang:stuck bg "$QB" quantize -m stuck-F16.gguf --types Q8_0 -o imx -t 1 \
    --imatrix-from text.txt -c 128 --db imx.db -v
wait_for 60 'grep -qs "test fault .hang. injected" "$T/err"'
workers=$(children)
stop_with INT
expect_rc 130 "imatrix"
[ "$(tail -n 1 "$T/err")" = "quantbench: error: interrupted by SIGINT: finished rows are kept" ] ||
    fail "imatrix: $(tail -n 3 "$T/err")"
expect_gone "$workers"
[ -z "$(ls -A imx)" ] || fail "imatrix: files left: $(ls -a imx)"
