#!/usr/bin/env bash
# One recorded load run against llama-server (the synthesized demo-size model), its summary
# recomputed from the per-request JSONL by tests/load_recompute.py (serving.md (b)'s
# formulas, vllm bench serve's), the two side by side as printed: writes
# bench/load_vs_vllm_defs.md and keeps the run's files in bench/results/load_vs_vllm/.
# usage: QB=build/quantbench LLAMA_BINDIR=DIR bash bench/load_vs_vllm_defs.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
QB=${QB:-$top/build/quantbench}
LLAMA_BINDIR=${LLAMA_BINDIR:-$(sed -n 's/^LLAMA_BINDIR := //p' "$top/build/llama.mk")}
res=$top/bench/results/load_vs_vllm
mkdir -p "$res"
w=$(mktemp -d /tmp/qb-vllmdefs.XXXX)
trap 'for p in $(jobs -p); do kill "$p" 2>/dev/null; done; rm -rf "$w"' EXIT
"$QB" synth -o "$w/m.gguf" --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 2048 \
    --seed 7 2>/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$LLAMA_BINDIR/llama-server" -m "$w/m.gguf" --host 127.0.0.1 --port "$port" -c 2048 -np 4 -t 2 \
    >"$w/srv.log" 2>&1 &
for _ in $(seq 1 240); do curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.25; done
args=(load --no-db --base-url "http://127.0.0.1:$port" --num-prompts 24 --request-rate 20
      --max-concurrency 4 --random-input-len 64 --random-output-len 32 --random-range-ratio 0.5
      --seed 1 --goodput ttft:20 tpot:5)
"$QB" "${args[@]}" --save-requests "$res/requests.jsonl" -o json >"$res/summary.json"
python3 "$top/tests/load_recompute.py" "$res/requests.jsonl" ttft:20 tpot:5 >"$res/recomputed.jsonl"
python3 - "$res/summary.json" "$res/recomputed.jsonl" "${args[*]}" >"$top/bench/load_vs_vllm_defs.md" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))[0]
mine = json.loads(open(sys.argv[2]).readline())
print('# load: our summary against serving.md (b)\'s formulas, recomputed independently\n')
print('One run against llama-server (-np 4, the synthesized 2-layer model):')
import re
print('`quantbench %s`.' % re.sub(r'127\.0\.0\.1:\d+', '127.0.0.1:PORT', sys.argv[3]))
print('`tests/load_recompute.py` read only the per-request JSONL (`--save-requests`:')
print('chunk times in ns) and applied vllm bench serve\'s definitions (serving.md (b) 1-13).')
print('Files: `bench/results/load_vs_vllm/` (requests.jsonl, summary.json, recomputed.jsonl);')
print('`t1302` checks the same on every test run (every key to 1e-9, the md table to the digit).\n')
print('| key | ours (json) | recomputed | equal as printed (%.6g) |')
print('| --- | ---: | ---: | :---: |')
n_eq = 0
for k, v in mine.items():
    if k in ('target', 'level'):
        continue
    o = ours[k]
    eq = ('%.6g' % o) == ('%.6g' % v)
    n_eq += eq
    print('| `%s` | %.10g | %.10g | %s |' % (k, o, v, 'yes' if eq else '**no**'))
print('\n%d of %d keys equal.' % (n_eq, len(mine) - 2))
PY
cat "$top/bench/load_vs_vllm_defs.md"
