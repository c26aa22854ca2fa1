# load against real llama-servers (the synthesized model on 127.0.0.1): a concurrency
# sweep and a rate run; the stored rows (kind load) carry every vLLM metric and
# llama-server's own timings joined to each request (the prompt's tokens exact: random
# token ids, counted by the server as we sent them); two servers load-tested at once
# (--target twice), each its own row; compare and report read the rows.
. "$(dirname "$0")/lib.sh"
need_llama_tool llama-server
m=$(model_dense)
trap 'for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done' EXIT

start_llama_server a.log "$m" -c 1024 -np 2 -t 1
a=$SRV_URL
start_llama_server b.log "$m" -c 1024 -np 2 -t 1
b=$SRV_URL

# ---- a concurrency sweep
run "$QB" load --base-url "$a" --max-concurrency 1,2 --num-prompts 4 --random-input-len 16 \
    --random-output-len 8 --save-requests sweep.jsonl -o json --label sweep
expect_rc 0 "sweep"
python3 - "$T/out" sweep.jsonl "$m" <<'PY' || fail "sweep rows"
import json, sys
rows = json.load(open(sys.argv[1]))
reqs = [json.loads(l) for l in open(sys.argv[2])]
assert [r['max_concurrency'] for r in rows] == [1, 2], rows
keys = ['completed', 'failed', 'duration', 'total_input_tokens', 'total_output_tokens',
        'request_throughput', 'output_throughput', 'total_token_throughput',
        'max_output_tokens_per_s', 'max_concurrent_requests', 'request_rate', 'burstiness']
for m in ('ttft', 'tpot', 'itl', 'e2el'):
    keys += ['%s_%s_ms' % (s, m) for s in ('mean', 'median', 'std', 'p50', 'p90', 'p95', 'p99')]
for r in rows:
    missing = [k for k in keys if k not in r]
    assert not missing, missing
    assert r['completed'] == 4 and r['failed'] == 0 and r['status'] == 'ok', r
    assert r['total_input_tokens'] == 64 and r['total_output_tokens'] == 32
    assert r['model_filename'] == sys.argv[3] and r['probe']['n_vocab'] > 0
    assert r['probe']['health'] == 200 and r['probe']['props'] == 200 and r['probe']['total_slots'] == 2
    # llama-server's own timings, joined: prefill, decode per token, queue + network
    assert r['qb_server_timings_n'] == 4 and r['qb_server_token_count_mismatches'] == 0
    assert 0 < r['qb_mean_server_prompt_ms'] < r['mean_ttft_ms']
    assert abs(r['qb_mean_queue_plus_network_ms'] - (r['mean_ttft_ms'] - r['qb_mean_server_prompt_ms'])) < 1e-6
    assert r['qb_mean_server_tpot_ms'] > 0 and r['mean_tpot_ms'] > 0
# (vLLM's max_concurrent_requests counts requests active in the same second: all 4 here)
assert [r['qb_client_max_in_flight'] for r in rows] == [1, 2] and rows[0]['max_concurrent_requests'] == 4
for q in reqs:
    assert q['success'] and q['output_tokens'] == 8 and q['server_predicted_n'] == 8, q
    # the tokens we sent are the tokens it read
    assert q['prompt_len'] == 16 == q['usage_prompt_tokens'] == q['server_prompt_n'] + q['server_cache_n'], q
    assert q['queue_plus_network_ms'] > 0
PY

# ---- a rate run, and two servers at once
run "$QB" load --target a="$a" --target b="$b" --request-rate 8 --num-prompts 4 \
    --random-input-len 16 --random-output-len 4 --random-range-ratio 0.5 --seed 5 -o json \
    --label rate
expect_rc 0 "rate, two targets"
python3 - "$T/out" <<'PY' || fail "rate rows"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r['target'] for r in rows] == ['a', 'b'] and all(r['request_rate'] == 8 for r in rows), rows
for r in rows:
    assert r['completed'] == 4 and r['qb_server_timings_n'] == 4
    assert 2 <= r['total_output_tokens'] / 4 <= 6 and 8 <= r['total_input_tokens'] / 4 <= 24
    assert r['qb_achieved_request_rate'] > 0 and r['qb_max_schedule_lag_ms'] < 50
PY

# ---- stored: report and compare read them
run "$QB" report -o jsonl kind=load
expect_rc 0 "report"
python3 - "$T/out" <<'PY' || fail "stored rows"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 4, len(rows)
assert all(r['kind'] == 'load' and 'mean_ttft_ms' in r['row'] and 'qb_mean_server_prompt_ms' in r['row'] for r in rows), rows[0]
assert all(r['settings']['random_input_len'] == 16 and 'endpoint' in r['settings'] for r in rows), rows[0]['settings']
PY
run "$QB" load --base-url "$a" --max-concurrency 1,2 --num-prompts 4 --random-input-len 16 \
    --random-output-len 8 --label again -o json
expect_rc 0 "again"
run "$QB" compare sweep again -o json
expect_rc 0 "compare"
python3 - "$T/out" <<'PY' || { cat "$T/out"; fail "compare"; }
import json, sys
j = json.load(open(sys.argv[1]))
lines = j['lines'] if isinstance(j, dict) else j
names = sorted({l['metric'] for l in lines})
assert names == ['E2EL_ms', 'TPOT_ms', 'TTFT_ms', 'out_tok/s'], names
assert len(lines) == 8, len(lines)  # two levels x four metrics
PY
kill "$SRV_PID"
exit 0
