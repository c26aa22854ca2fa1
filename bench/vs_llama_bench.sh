#!/usr/bin/env bash
# quantbench bench vs llama.cpp's llama-bench on the same build and model. Every single
# test (pp or tg, at a depth, with a thread count) is run by both tools back to back,
# alternating which goes first, ROUNDS times, so slow drifts of the machine hit both
# equally. Prints per-round t/s, the ratio of means and the paired ratio with its 95% CI.
#
#   bench/vs_llama_bench.sh [-m MODEL|dense|moe] [-r ROUNDS] [-p LIST] [-n LIST] [-d LIST]
#                           [-t LIST] [--reps N]
# Defaults: the dense demo model (scripts/demo-model.sh), 3 rounds, -p 512 -n 128 -d 0
# -t <nproc>, 5 repetitions per run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
model=dense rounds=3 pp=512 tg=128 depths=0 threads=$(nproc) reps=5
bench_flags "[-m MODEL|dense|moe] [-r ROUNDS] [-p LIST] [-n LIST] [-d LIST] [-t LIST] [--reps N]" \
    "-m=model -r=rounds -p=pp -n=tg -d=depths -t=threads --reps=reps" "$@"
model=$(bench_model "$model")
echo "model: $model" >&2
echo "tests: pp $pp, tg $tg, depths $depths, threads $threads; $reps repetitions, $rounds rounds" >&2
tests=()
for t in ${threads//,/ }; do
    for d in ${depths//,/ }; do
        for p in ${pp//,/ }; do [ "$p" -gt 0 ] && tests+=("$p 0 $d $t"); done
        for n in ${tg//,/ }; do [ "$n" -gt 0 ] && tests+=("0 $n $d $t"); done
    done
done
start=$(date +%s)
for i in $(seq 1 "$rounds"); do
    k=0
    for spec in "${tests[@]}"; do
        read -r p n d t <<<"$spec"
        args=(-m "$model" -p "$p" -n "$n" -d "$d" -t "$t" -r "$reps" -o jsonl)
        if [ $(((i + k) % 2)) -eq 0 ]; then order="qb lb"; else order="lb qb"; fi
        for who in $order; do
            if [ "$who" = qb ]; then
                "$QB" bench "${args[@]}" >>"$out/qb.jsonl"
            else
                "$LLAMA_BINDIR/llama-bench" "${args[@]}" >>"$out/lb.jsonl" 2>/dev/null
            fi
        done
        k=$((k + 1))
    done
    echo "round $i done ($(($(date +%s) - start)) s)" >&2
done
python3 - "$out" <<'PY'
import json, sys, statistics as st
d = sys.argv[1]
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
def key(r): return (r['n_threads'], r['n_depth'], r['n_prompt'], r['n_gen'])
res = {}
for who in ('qb', 'lb'):
    for line in open(f"{d}/{who}.jsonl"):
        r = json.loads(line)
        res.setdefault(key(r), {}).setdefault(who, []).append(r['avg_ts'])
print("| test | threads | llama-bench t/s (rounds) | quantbench t/s (rounds) | ratio of means | paired ratio [95% CI] |")
print("|---|---:|---|---|---:|---|")
worst = 0
for k in sorted(res):
    th, dd, p, g = k
    lb, qb = res[k].get('lb', []), res[k].get('qb', [])
    if not lb or not qb:
        continue
    name = (f"pp{p}" if g == 0 else f"tg{g}") + (f" @ d{dd}" if dd else "")
    ratio = st.mean(qb) / st.mean(lb)
    worst = max(worst, abs(ratio - 1))
    pr = [q / l for q, l in zip(qb, lb)]
    ci = ""
    if len(pr) > 1:
        h = T975.get(len(pr) - 1, 2.0) * st.stdev(pr) / len(pr) ** 0.5
        ci = f"{st.mean(pr):.3f} [{st.mean(pr) - h:.3f}, {st.mean(pr) + h:.3f}]"
    f = lambda xs: ", ".join(f"{x:.1f}" for x in xs)
    print(f"| {name} | {th} | {st.mean(lb):.2f} ({f(lb)}) | {st.mean(qb):.2f} ({f(qb)}) | {ratio:.3f} | {ci} |")
print(f"\nlargest deviation of the ratio of means: {worst * 100:.1f}%")
PY
