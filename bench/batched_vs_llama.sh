#!/usr/bin/env bash
# quantbench batched vs llama.cpp's llama-batched-bench on the same build and model:
# S_PP, S_TG and S per (PP, TG, B), rounds alternating which tool goes first.
#
#   bench/batched_vs_llama.sh [-m MODEL|dense|moe] [-r ROUNDS] [-npp LIST] [-ntg LIST]
#                             [-npl LIST] [-c CTX] [-t THREADS]
# Defaults: dense demo model, 3 rounds, -npp 128,512 -ntg 64 -npl 1,2,4,8 -c 4608 -t <nproc>.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
model=dense rounds=3 npp=128,512 ntg=64 npl=1,2,4,8 ctx=4608 threads=$(nproc)
bench_flags "[-m MODEL|dense|moe] [-r ROUNDS] [-npp L] [-ntg L] [-npl L] [-c CTX] [-t T]" \
    "-m=model -r=rounds -npp=npp -ntg=ntg -npl=npl -c=ctx -t=threads" "$@"
model=$(bench_model "$model")
args=(-m "$model" -c "$ctx" -b 2048 -ub 512 -npp "$npp" -ntg "$ntg" -npl "$npl" -t "$threads")
echo "model: $model; ${args[*]:2}; $rounds rounds" >&2
for i in $(seq 1 "$rounds"); do
    if [ $((i % 2)) -eq 1 ]; then order="qb lb"; else order="lb qb"; fi
    for who in $order; do
        if [ "$who" = qb ]; then
            "$QB" batched "${args[@]}" -o jsonl >"$out/qb.$i.jsonl" 2>/dev/null
        else
            "$LLAMA_BINDIR/llama-batched-bench" "${args[@]}" --output-format jsonl 2>/dev/null |
                grep '^{' >"$out/lb.$i.jsonl"
        fi
    done
    echo "round $i done" >&2
done
python3 - "$out" "$rounds" <<'PY'
import json, sys, statistics as st
d, n = sys.argv[1], int(sys.argv[2])
res = {}
for who in ('qb', 'lb'):
    for i in range(1, n + 1):
        for line in open(f"{d}/{who}.{i}.jsonl"):
            r = json.loads(line)
            if r.get('status', 'ok') != 'ok':
                continue
            k = (r['pp'], r['tg'], r['pl'])
            for f in ('speed_pp', 'speed_tg', 'speed'):
                res.setdefault(k, {}).setdefault((who, f), []).append(r[f])
print("| PP | TG | B | S_PP lb | S_PP qb | ratio | S_TG lb | S_TG qb | ratio | S lb | S qb | ratio |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
worst = 0
for k in sorted(res):
    cells = []
    for f in ('speed_pp', 'speed_tg', 'speed'):
        a, b = st.mean(res[k][('lb', f)]), st.mean(res[k][('qb', f)])
        worst = max(worst, abs(b / a - 1))
        cells += [f"{a:.2f}", f"{b:.2f}", f"{b / a:.3f}"]
    print(f"| {k[0]} | {k[1]} | {k[2]} | " + " | ".join(cells) + " |")
print(f"\nlargest deviation: {worst * 100:.1f}%")
PY
