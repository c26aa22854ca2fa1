# mem: the estimate from GGUF metadata against what llama.cpp allocated on a real load
# (its exact per-buffer breakdown) for a grid of models and settings: weights and KV
# byte-exact, compute within 5%, output within the log's rounding, total 0..+3%
. "$(dirname "$0")/lib.sh"
d="$MODELS/mem-dense.gguf"
[ -f "$d" ] || "$QB" synth -o "$d" --layers 2 --embd 768 --heads 12 --kv-heads 4 --ff 2048 \
    --ctx 32768 --type Q4_K_M --seed 11 >&2 || fail "synth dense"
m="$MODELS/mem-moe.gguf"
[ -f "$m" ] || "$QB" synth -o "$m" --layers 2 --embd 768 --heads 12 --kv-heads 4 --ff 512 \
    --experts 4 --experts-used 2 --ctx 32768 --type Q4_K_M --seed 12 >&2 || fail "synth moe"
: >grid.jsonl
item() { # MODEL FLAGS...
    run "$QB" mem -m "$@" --measure -t 2 -o json
    expect_rc 0 "mem $*"
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d['args']=sys.argv[2]; print(json.dumps(d))" \
        "$T/out" "$*" >>grid.jsonl
}
for kv in f16 q8_0 q4_0; do
    for c in 512 2000 8192 32768; do
        item "$d" -c "$c" -ctk "$kv" -ctv "$kv"
        item "$m" -c "$c" -ctk "$kv" -ctv "$kv"
    done
done
item "$d" -c 4096 -fa off
item "$d" -c 16384 -fa off -ctk q8_0
item "$m" -c 4096 -ot exps=CPU
item "$m" -c 8192 -ncmoe 1 -ctk q8_0 -ctv q8_0
item "$d" -c 4096 -ub 256 -b 1024
item "$d" -c 6000 -np 3
item "$d" -c 4096 -lm none
python3 - grid.jsonl <<'PY' || fail "estimate vs llama.cpp"
import json, sys
n = 0
for line in open(sys.argv[1]):
    doc = json.loads(line)
    for mod in doc['models']:
        meas = mod['measured']
        assert meas['exact'], 'llama.cpp breakdown not available'
        est = {p['buft']: p for p in mod['parts']}
        got = {b['buft']: b for b in meas['buffers']}
        where = doc['args']
        for buft in set(est) | set(got):
            e = est.get(buft, dict(model=0, context=0, compute=0, output=0))
            g = got.get(buft, dict(model=0, context=0, compute=0, output=0))
            assert e['model'] == g['model'], (where, buft, 'weights', e['model'], g['model'])
            assert e['context'] == g['context'], (where, buft, 'KV', e['context'], g['context'])
            if e['compute'] or g['compute']:
                assert abs(e['compute'] - g['compute']) <= 0.05 * g['compute'], \
                    (where, buft, 'compute', e['compute'], g['compute'])
            assert abs(e['output'] - g['output']) <= 0.006 * 2**20, (where, buft, 'output')
        te = sum(p['model'] + p['context'] + p['compute'] + p['output'] for p in est.values())
        # llama.cpp logs the output buffer in MiB with 2 decimals (checked above): the
        # total compares the rest exactly
        tg = sum(b['model'] + b['context'] + b['compute'] for b in got.values()) + \
            sum(p['output'] for p in est.values())
        assert tg <= te <= 1.03 * tg, (where, 'total', te, tg)
        n += 1
assert n == 31, n
PY
# the dry run is shown next to the estimate; md names every buffer type
run "$QB" mem -m "$d" -c 4096 -t 2
expect_rc 0
expect_out_has "| CPU | CPU_REPACK |"
expect_out_has "| CPU | **total** |"
# the two-models-in-a-budget question: both fit in 1 GiB, and the largest context of each
run "$QB" mem -m "$d" -m "$m" -c 4096 --budget 1GiB --no-dry-run -o json
expect_rc 0
python3 - "$T/out" <<'PY' || fail "budget"
import json, sys
j = json.load(open(sys.argv[1]))
b = j['budget']
tot = [m['total_bytes'] for m in j['models']]
assert b['fits'] and b['need_bytes'] == sum(tot) and b['left_bytes'] == 2**30 - sum(tot), b
for k, m in enumerate(j['models']):
    # fit_ctx: the last multiple of 256 whose estimate fits beside the other model, at most
    # the training context (32768, which fits here: t0510 checks the search below it)
    other = tot[1 - k]
    per_cell = m['kv_bytes_per_cell']
    assert m['fit_ctx'] == m['n_ctx_train'] == 32768 and m['fit_ctx_capped'], m['fit_ctx']
    grow = (m['fit_ctx'] - 4096) * per_cell
    assert m['total_bytes'] + grow + other <= 2**30, k
PY
run "$QB" mem -m "$d" -m "$m" -c 4096 --budget 100MiB --no-dry-run
expect_rc 5
expect_out_has "does NOT fit"
