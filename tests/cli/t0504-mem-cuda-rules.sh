# mem's CUDA rules against what llama.cpp allocated on an H100 (bench/results/h100-*):
# the models' GGUF headers are kept in tests/data (the weights are not needed: a sparse
# file of the right size stands in), the estimate for one GPU is compared per buffer
# with the measurement kept from that session: weights and KV exact, compute within 5%,
# and the GPU total within 3% of the device's measured free-memory drop.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/cli/lib.sh"
check() { # NAME SIZE MEASURED-JSON ARGS...
    local name=$1 size=$2 meas=$3
    shift 3
    gzip -dc "$top/tests/data/h100-$name.hdr.gz" >"$name.gguf"
    truncate -s "$size" "$name.gguf"
    run "$QB" mem -m "$name.gguf" --gpus 1 --no-dry-run -o json "$@"
    expect_rc 0 "$name"
    python3 - "$T/out" "$top/bench/results/$meas" "$name $*" <<'PY' || fail "CUDA estimate of $name"
import json, sys
est = json.load(open(sys.argv[1]))['models'][0]
meas = json.load(open(sys.argv[2]))['models'][0]['measured']
where = sys.argv[3]
parts = {p['buft']: p for p in est['parts']}
for b in meas['buffers']:
    e = parts.get(b['buft'], dict(model=0, context=0, compute=0, output=0))
    assert e['model'] == b['model'], (where, b['buft'], 'weights', e['model'], b['model'])
    assert e['context'] == b['context'], (where, b['buft'], 'KV', e['context'], b['context'])
    if b['compute']:
        assert abs(e['compute'] - b['compute']) <= 0.05 * b['compute'], (where, b['buft'], 'compute')
gpu = sum(p['model'] + p['context'] + p['compute'] + p['output'] for p in est['parts']
          if p['dev'] == 'CUDA0')
before = [d for d in meas['devices_before'] if d['gpu']][0]['free']
after = [d for d in meas['devices'] if d['gpu']][0]['free']
drop = before - after
assert abs(gpu - drop) <= 0.03 * drop, (where, 'VRAM', gpu, drop)
PY
}
check gqa 523378144 h100-mem-m1.json -ngl 99 -c 4096
check moe 245864640 h100-mem-m10.json -ngl 99 -c 8192 -ncmoe 4 -ctk q4_0 -ctv q4_0
