# a grid where one configuration cannot run yields failed rows with their reason and
# every other row; bad devices or buffer types fail their load group only
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
# a quantized V cache without flash attention is refused by llama.cpp
run "$QB" bench -m "$m" -p 16 -n 4 -r 2 -t 1 -ctv f16,q8_0 -fa 0 -o jsonl
expect_rc 4
cp "$T/out" r.jsonl
[ "$(wc -l <r.jsonl)" -eq 4 ] || fail "rows: $(cat r.jsonl)"
python3 - r.jsonl <<'PY' || fail "rows"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [(r['type_v'], r['n_prompt'], r['status']) for r in rows] == \
    [('f16', 16, 'ok'), ('f16', 0, 'ok'), ('q8_0', 16, 'error'), ('q8_0', 0, 'error')], rows
for r in rows[2:]:
    assert 'failed to create a context' in r['error'] and 'flash_attn' in r['error'], r['error']
    assert r['samples_ns'] == [] and r['avg_ts'] == 0
PY
expect_err_has "pp16 t=1: error: llama.cpp failed to create a context (n_ctx=16, n_batch=2048, n_ubatch=512): llama_init_from_model: quantized V cache requires flash_attn to be enabled"
# md shows the failed rows' status in the t/s column
run "$QB" bench -m "$m" -p 16 -n 0 -r 1 -t 1 -ctv f16,q8_0 -fa 0
expect_rc 4
grep -qE '\|\s+q8_0 \|\s+0 \|\s+pp16 \|\s+error \|' "$T/out" || { cat "$T/out"; fail "md error row"; }
# an unknown buffer type or device fails that load group, the other group runs
run "$QB" bench -m "$m" -p 16 -n 0 -r 1 -t 1 -ot "none,token_embd=NOPE" -o jsonl
expect_rc 4
grep -q '"status":"ok"' "$T/out" || fail "the good group did not run"
grep -q "\"status\":\"load_failed\",\"error\":\"tensor override 'token_embd': unknown buffer type 'NOPE'\"" "$T/out" || { cat "$T/out"; fail "ot reason"; }
run "$QB" bench -m "$m" -p 16 -n 0 -r 1 -t 1 -dev NOPE -o jsonl
expect_rc 1
grep -q "unknown or non-offload device 'NOPE'" "$T/out" || fail "dev reason"
