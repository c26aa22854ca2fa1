# every result row of bench, sweep and batched carries its model's quick identity and what llama.cpp allocated (weights,
# KV, compute, output; host and GPU), the worker's peak RSS and the per-buffer detail
. "$(dirname "$0")/lib.sh"
m="$MODELS/ctxmax.gguf"
[ -f "$m" ] || "$QB" synth -o "$m" --layers 4 --embd 256 --heads 4 --kv-heads 4 --ff 768 \
    --ctx 8192 --type Q8_0 --seed 5 >&2 || fail "synth"
run "$QB" bench -m "$m" -p 64 -n 0,8 -r 1 -t 2 -o jsonl
expect_rc 0
cp "$T/out" b.jsonl
run "$QB" sweep -m "$m" -c 512 -ub 256 -n 4 -t 2 -o jsonl
expect_rc 0
cp "$T/out" s.jsonl
run "$QB" batched -m "$m" -c 512 -npp 32 -ntg 4 -npl 2 -t 2 -o jsonl
expect_rc 0
cp "$T/out" t.jsonl
python3 - b.jsonl s.jsonl t.jsonl <<'PY' || fail "memory fields"
import json, sys
kv_cell = 4 * 2 * 256 * 2  # layers * (K+V) * n_embd_kv * f16
for path, cells in zip(sys.argv[1:], (None, 512, 512)):
    for r in map(json.loads, open(path)):
        n_ctx = cells or r['n_ctx']
        pad = (n_ctx + 255) // 256 * 256
        assert r['mem_kv_bytes'] == pad * kv_cell, (path, r['mem_kv_bytes'], pad)
        assert r['mem_exact'] and r['mmap'] and r['mem_gpu_bytes'] == 0
        bufs = {b['buft']: b for b in r['mem_buffers']}
        assert bufs['CPU_Mapped']['model'] == r['mem_weights_bytes'] > 0, bufs
        assert r['mem_host_bytes'] == sum(b['model'] + b['context'] + b['compute'] + b['output']
                                          for b in bufs.values())
        assert r['mem_compute_bytes'] > 0 and r['rss_peak_bytes'] >= r['rss_bytes'] > 0
        assert r['mem_devices'][0]['name'] == 'CPU'
        import hashlib, os
        data = open(r['model_filename'], 'rb').read()
        want = '%d:%s:%s' % (len(data), hashlib.sha256(data[:1 << 20]).hexdigest(),
                             hashlib.sha256(data[-(1 << 20):]).hexdigest())
        assert r['model_id'] == want, (r['model_id'], want)
PY
run "$QB" bench -m "$m" -p 64 -n 0 -r 1 -t 2 --mem
expect_rc 0
expect_out_has "host MiB |   GPU MiB | peak RSS MiB |"
run "$QB" bench -m "$m" -p 64 -n 0 -r 1 -t 2
expect_rc 0
grep -q "peak RSS" "$T/out" && fail "memory columns without --mem"
run "$QB" sweep -m "$m" -c 512 -ub 256 -n 4 -t 2 --mem
expect_rc 0
expect_out_has "|  host MiB |   GPU MiB | peak RSS MiB |"
run "$QB" batched -m "$m" -c 512 -npp 32 -ntg 4 -npl 2 -t 2 --mem
expect_rc 0
expect_out_has "| peak RSS MiB |"
exit 0
