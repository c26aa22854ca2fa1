# load's summary recomputed from its per-request JSONL by an independent script
# (tests/load_recompute.py: serving.md (b)'s formulas, vllm bench serve's) equals ours:
# every vLLM key of the stored rows to 1e-9, and every figure of the md table to the
# printed digit; with failed requests, two rate levels and goodput SLOs.
. "$(dirname "$0")/lib.sh"
trap 'for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done' EXIT

start_load_fake f --ttft-ms 30 --itl-ms 7 --stagger-ms 1 --faults 3:http500,7:cut,11:nousage
run "$QB" load --base-url "$FAKE_URL" --num-prompts 16 --request-rate 30,inf --max-concurrency 4 \
    --random-input-len 12 --random-output-len 9 --random-range-ratio 0.5 --seed 11 \
    --goodput ttft:40 tpot:7.5 --save-requests req.jsonl
expect_rc 4 "the run"
cp "$T/out" table.md
kill "$FAKE_PID"
python3 "$QB_SRC/tests/load_recompute.py" req.jsonl ttft:40 tpot:7.5 >mine.jsonl ||
    fail "the recompute script"
run "$QB" report -o jsonl kind=load
expect_rc 0 "report"
python3 - "$T/out" mine.jsonl table.md <<'PY' || fail "recomputed"
import json, sys
rows = [json.loads(l)['row'] for l in open(sys.argv[1])]
mine = [json.loads(l) for l in open(sys.argv[2])]
md = [l for l in open(sys.argv[3]) if l.startswith('| default')]
assert len(rows) == len(mine) == len(md) == 2, (len(rows), len(mine), len(md))
for row, m, line in zip(rows, mine, md):
    assert row['failed'] == 3 and row['completed'] == 13, row
    for k, v in m.items():
        got = row[k]
        ok = got == v if isinstance(v, str) else abs(got - v) <= 1e-9 * max(1, abs(v))
        assert ok, (row['level'], k, got, v)
    cells = [c.strip() for c in line.strip().strip('|').split('|')]
    # req/s, out tok/s, TTFT ms, p99 TTFT, TPOT ms, p99 TPOT, ITL ms, E2EL ms as printed
    keys = ['request_throughput', 'output_throughput', 'mean_ttft_ms', 'p99_ttft_ms',
            'mean_tpot_ms', 'p99_tpot_ms', 'mean_itl_ms', 'mean_e2el_ms']
    assert cells[5:13] == ['%.2f' % m[k] for k in keys], (cells, [m[k] for k in keys])
    assert cells[3:5] == ['%d' % m['completed'], '%d' % m['failed']], cells
print('recomputed %d keys x %d levels: equal' % (len(mine[0]), len(mine)), file=sys.stderr)
PY
exit 0
