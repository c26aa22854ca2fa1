# ctxmax under a host RAM budget: the answer runs within the budget, one step more does
# not (both measured again independently), in at most log2(range/step) + 3 probes; a
# probe killed by the test-only crash trigger is recorded and the search goes on
. "$(dirname "$0")/lib.sh"
m="$MODELS/ctxmax.gguf"
[ -f "$m" ] || "$QB" synth -o "$m" --layers 4 --embd 256 --heads 4 --kv-heads 4 --ff 768 \
    --ctx 8192 --type Q8_0 --seed 5 >&2 || fail "synth"
kv=(-ctk f32 -ctv f32 -t 2)
peak() { # N_CTX: peak RSS of a real load plus a full-context decode
    "$QB" mem -m "$m" -c "$1" "${kv[@]}" --fill --no-dry-run -o json |
        python3 -c "import json,sys; print(int(json.load(sys.stdin)['models'][0]['measured']['rss_peak']))"
}
p1=$(peak 2048) && p2=$(peak 2304) || fail "mem --fill"
[ "$p2" -gt $((p1 + 1048576)) ] || fail "one step adds too little peak RSS: $p1 -> $p2"
budget=$(((p1 + p2) / 2))
run "$QB" ctxmax -m "$m" "${kv[@]}" --budget "$budget" --max 8192 -o json
expect_rc 0
cp "$T/out" a.json
python3 - a.json "$budget" <<'PY' || fail "ctxmax search"
import json, math, sys
j = json.load(open(sys.argv[1])); budget = int(sys.argv[2])
assert j['n_ctx_max'] == 2048, j['n_ctx_max']
probes = j['probes']
assert len(probes) <= math.log2(8192 / 256) + 3, len(probes)
for p in probes:
    assert p['ok'] == (p['rss_peak'] <= budget), p
    assert p['ok'] == (p['n_ctx'] <= 2048), p
assert any(p['n_ctx'] == 2048 and p['ok'] for p in probes)
assert any(p['n_ctx'] == 2304 and not p['ok'] for p in probes)
assert all(p['reason'].startswith('peak RSS') for p in probes if not p['ok'])
PY
# independently: the answer runs within the budget, one step more exceeds it
[ "$(peak 2048)" -le "$budget" ] || fail "the answer exceeds the budget"
[ "$(peak 2304)" -gt "$budget" ] || fail "one step more fits the budget"
# a probe that crashes is a failed probe with its reason; the search goes on below it
QB_TEST_FAULT_CTX=2048 run "$QB" ctxmax -m "$m" "${kv[@]}" --budget "$budget" --max 8192 -o json
expect_rc 0
python3 - "$T/out" <<'PY' || fail "crashed probe"
import json, sys
j = json.load(open(sys.argv[1]))
assert j['n_ctx_max'] == 1792, j['n_ctx_max']
crash = [p for p in j['probes'] if p['n_ctx'] == 2048]
assert crash and not crash[0]['ok'] and 'SIGSEGV' in crash[0]['reason'], crash
assert any(p['n_ctx'] == 1792 and p['ok'] for p in j['probes'])
PY
# md: the answer, the estimate and every probe
run "$QB" ctxmax -m "$m" "${kv[@]}" --budget "$budget" --max 8192
expect_rc 0
expect_out_has "largest context that runs: **2048**"
expect_out_has "| failed |"
