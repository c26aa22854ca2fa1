#!/usr/bin/env bash
# quantbench sweep vs llama-bench at the same depths, same build and model: the sweep's
# S_PP and S_TG at each depth against llama-bench's pp<ub> and tg<T> at -d <depth>, and
# the wall time of each tool for all the depths. Rounds alternate which tool goes first.
#
#   bench/sweep_vs_llama_bench.sh [-m MODEL|dense|moe] [-r ROUNDS] [-c CTX] [-ub UB] [-n T]
#                                 [-t THREADS] [--reps N] [--lb-reps N]
# Defaults: dense demo model, 2 rounds, -c 4096 -ub 512 -n 128, -t <nproc>, 3 repetitions
# in both tools (--lb-reps sets llama-bench's apart: `--reps 1 --lb-reps 5` runs each tool
# at its own default, one measurement per depth as sweep-bench, five as llama-bench).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
model=dense rounds=2 ctx=4096 ub=512 tg=128 threads=$(nproc) reps=3 lb_reps=
bench_flags "[-m MODEL|dense|moe] [-r ROUNDS] [-c CTX] [-ub UB] [-n T] [-t THREADS] [--reps N] [--lb-reps N]" \
    "-m=model -r=rounds -c=ctx -ub=ub -n=tg -t=threads --reps=reps --lb-reps=lb_reps" "$@"
model=$(bench_model "$model")
lb_reps=${lb_reps:-$reps}
depths=$(seq -s, 0 "$ub" $((ctx - 1)))
echo "model: $model; -c $ctx -ub $ub -n $tg -t $threads, repetitions: sweep $reps, llama-bench $lb_reps; $rounds rounds" >&2
for i in $(seq 1 "$rounds"); do
    if [ $((i % 2)) -eq 1 ]; then order="qb lb"; else order="lb qb"; fi
    for who in $order; do
        s=$(date +%s.%N)
        if [ "$who" = qb ]; then
            "$QB" sweep -m "$model" -c "$ctx" -ub "$ub" -b "$ub" -n "$tg" -r "$reps" -t "$threads" \
                -o jsonl >"$out/qb.$i.jsonl" 2>/dev/null
        else
            "$LLAMA_BINDIR/llama-bench" -m "$model" -p "$ub" -n "$tg" -d "$depths" -ub "$ub" \
                -b "$ub" -r "$lb_reps" -t "$threads" -o jsonl >"$out/lb.$i.jsonl" 2>/dev/null
        fi
        awk -v a="$(date +%s.%N)" -v b="$s" 'BEGIN { print a - b }' >"$out/$who.$i.time"
    done
    echo "round $i done" >&2
done
python3 - "$out" "$rounds" "$ub" "$tg" "$reps" "$lb_reps" <<'PY'
import json, sys, statistics as st
d, n, ub, tg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
reps, lb_reps = sys.argv[5], sys.argv[6]
lb_pp, lb_tg, qb_pp, qb_tg = {}, {}, {}, {}
for i in range(1, n + 1):
    for line in open(f"{d}/lb.{i}.jsonl"):
        r = json.loads(line)
        (lb_pp if r['n_gen'] == 0 else lb_tg).setdefault(r['n_depth'], []).append(r['avg_ts'])
    for line in open(f"{d}/qb.{i}.jsonl"):
        r = json.loads(line)
        qb_pp.setdefault(r['n_kv'], []).append(r['speed_pp'])
        qb_tg.setdefault(r['n_kv'], []).append(r['speed_tg'])
print(f"| N_KV | llama-bench pp{ub} | sweep S_PP | ratio | llama-bench tg{tg} | sweep S_TG | ratio |")
print("|---:|---:|---:|---:|---:|---:|---:|")
worst = 0
for k in sorted(qb_pp):
    a, b = st.mean(lb_pp[k]), st.mean(qb_pp[k])
    c, e = st.mean(lb_tg[k]), st.mean(qb_tg[k])
    worst = max(worst, abs(b / a - 1), abs(e / c - 1))
    print(f"| {k} | {a:.2f} | {b:.2f} | {b / a:.3f} | {c:.2f} | {e:.2f} | {e / c:.3f} |")
tq = [float(open(f"{d}/qb.{i}.time").read()) for i in range(1, n + 1)]
tl = [float(open(f"{d}/lb.{i}.time").read()) for i in range(1, n + 1)]
print(f"\nlargest deviation: {worst * 100:.1f}%")
print(f"wall time: sweep {st.mean(tq):.1f} s (-r {reps}), llama-bench {st.mean(tl):.1f} s (-r {lb_reps}) "
      f"for the same depths ({st.mean(tq) / st.mean(tl) * 100:.0f}%)")
PY
