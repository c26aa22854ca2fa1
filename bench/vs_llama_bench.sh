#!/usr/bin/env bash
# quantbench bench vs llama.cpp's llama-bench on the same build and model, run
# interleaved (ours, theirs, theirs, ours, ...) so drift hits both equally. Prints
# per-round numbers and a ratio table (quantbench / llama-bench, mean of rounds).
#
#   bench/vs_llama_bench.sh [-m MODEL|dense|moe] [-r ROUNDS] [-- bench flags]
# Defaults: the dense demo model (scripts/demo-model.sh), 3 rounds, -p 512 -n 128 -r 5 -t <nproc>.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
QB=${QB:-$top/build/quantbench}
LLAMA_BINDIR=${LLAMA_BINDIR:-$(sed -n 's/^LLAMA_BINDIR := //p' "$top/build/llama.mk")}
model=dense rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
    -m) model=$2; shift 2 ;;
    -r) rounds=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [-m MODEL] [-r ROUNDS] [-- bench flags]" >&2; exit 2 ;;
    esac
done
flags=("$@")
[ ${#flags[@]} -gt 0 ] || flags=(-p 512 -n 128 -r 5 -t "$(nproc)")
case "$model" in
dense | moe) model=$(QB="$QB" bash "$top/scripts/demo-model.sh" "$model") ;;
esac
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "model: $model" >&2
echo "flags: ${flags[*]}" >&2
for i in $(seq 1 "$rounds"); do
    if [ $((i % 2)) -eq 1 ]; then order="qb lb"; else order="lb qb"; fi
    for who in $order; do
        if [ $who = qb ]; then
            "$QB" bench -m "$model" "${flags[@]}" -o json >"$out/qb.$i.json"
        else
            "$LLAMA_BINDIR/llama-bench" -m "$model" "${flags[@]}" -o json >"$out/lb.$i.json" 2>/dev/null
        fi
    done
    echo "round $i done ($order)" >&2
done
python3 - "$out" "$rounds" <<'PY'
import json, sys, statistics as st
d, n = sys.argv[1], int(sys.argv[2])
def key(r): return (r['n_prompt'], r['n_gen'], r['n_depth'], r['n_threads'])
def name(k):
    p, g, dd, t = k
    s = f"pp{p}" if g == 0 else (f"tg{g}" if p == 0 else f"pp{p}+tg{g}")
    return (s + (f" @ d{dd}" if dd else ""), t)
res = {}
for who in ('qb', 'lb'):
    for i in range(1, n + 1):
        for r in json.load(open(f"{d}/{who}.{i}.json")):
            res.setdefault(key(r), {}).setdefault(who, []).append(r['avg_ts'])
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
print("| test | threads | llama-bench t/s (per round) | quantbench t/s (per round) | ratio qb/lb | paired ratio, 95% CI |")
print("|---|---:|---|---|---:|---|")
worst = 0
for k, v in res.items():
    lb, qb = v.get('lb', []), v.get('qb', [])
    if not lb or not qb:
        continue
    ratio = st.mean(qb) / st.mean(lb)
    worst = max(worst, abs(ratio - 1))
    t, th = name(k)
    fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)
    pr = [q / l for q, l in zip(qb, lb)]  # same round: run back to back
    ci = ""
    if len(pr) > 1:
        h = T975.get(len(pr) - 1, 2.0) * st.stdev(pr) / len(pr) ** 0.5
        ci = f"{st.mean(pr):.3f} [{st.mean(pr) - h:.3f}, {st.mean(pr) + h:.3f}]"
    print(f"| {t} | {th} | {st.mean(lb):.2f} ({fmt(lb)}) | {st.mean(qb):.2f} ({fmt(qb)}) | {ratio:.3f} | {ci} |")
print(f"\nlargest deviation: {worst*100:.1f}%")
PY
