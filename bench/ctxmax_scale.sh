#!/usr/bin/env bash
# ctxmax at scale: a 1.1B-shaped model (TinyLlama-1.1B's shapes, random Q4_0 weights,
# a 32768 training context) on this machine's CPU.
#  1. the acceptance case: ctxmax --budget 2GiB (flash attention off, so the budget, not
#     the training context, bounds the answer), timed: the search with its cheap probes,
#     then the final check (a full decode of the answer's context);
#  2. the time of one probe against n_ctx both ways: the cheap probe (ctxmax --no-check
#     --max N --step N: one probe at N) and the full fill (the same with --full-fill).
# Writes DIR/*.json and the markdown of bench/results/ctxmax_scale.md to stdout.
# usage: bench/ctxmax_scale.sh [DIR]   (QB, THREADS, CHEAP_CTX, FULL_CTX, SKIP_ACCEPT)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
QB=${QB:-$top/build/quantbench}
D=${1:-/tmp/qb-ctxmax-scale}
T=${THREADS:-2}
CHEAP_CTX=${CHEAP_CTX:-"512 1024 2048 4096 8192 16384 32768"}
FULL_CTX=${FULL_CTX:-"512 1024 2048 4096"}
mkdir -p "$D"
m=$D/tiny11-q4_0.gguf
[ -f "$m" ] || "$QB" synth -o "$m" --layers 22 --embd 2048 --heads 32 --kv-heads 4 \
    --ff 5632 --ctx 32768 --type Q4_0 --seed 7 >&2
secs() { python3 -c "import time; print(f'{time.monotonic():.3f}')"; }
if [ -z "${SKIP_ACCEPT:-}" ]; then
    t0=$(secs)
    "$QB" ctxmax -m "$m" -t "$T" -fa off --budget 2GiB --no-db -o json >"$D/accept.json" \
        2>"$D/accept.err" || true
    t1=$(secs)
    python3 -c "print(f'{$t1 - $t0:.1f}')" >"$D/accept.wall"
fi
for n in $CHEAP_CTX; do
    [ -f "$D/cheap-$n.json" ] ||
        "$QB" ctxmax -m "$m" -t "$T" --max "$n" --step "$n" --no-check --no-db -o json \
            >"$D/cheap-$n.json" 2>/dev/null || true
done
for n in $FULL_CTX; do
    [ -f "$D/full-$n.json" ] ||
        "$QB" ctxmax -m "$m" -t "$T" --max "$n" --step "$n" --full-fill --no-db -o json \
            >"$D/full-$n.json" 2>/dev/null || true
done
python3 - "$D" <<'PY'
import glob, json, os, sys
d = sys.argv[1]
def load(p):
    try:
        return json.load(open(p))
    except Exception:
        return None
print("## probe time against n_ctx (one probe, a fresh worker: load, context, fill)\n")
print("| n_ctx | cheap probe s | cheap peak RSS MiB | full fill s | full peak RSS MiB | full / cheap |")
print("|---:|---:|---:|---:|---:|---:|")
ns = sorted({int(os.path.basename(p).split('-')[1].split('.')[0])
             for p in glob.glob(f"{d}/cheap-*.json") + glob.glob(f"{d}/full-*.json")})
for n in ns:
    c, f = load(f"{d}/cheap-{n}.json"), load(f"{d}/full-{n}.json")
    cp = c['probes'][0] if c and c.get('probes') else None
    fp = f['probes'][0] if f and f.get('probes') else None
    cell = lambda p, k, fmt: fmt % (p[k] / (1048576 if k == 'rss_peak' else 1)) if p else "-"
    ratio = f"{fp['time_s'] / cp['time_s']:.1f}" if cp and fp else "-"
    print(f"| {n} | {cell(cp, 'time_s', '%.2f')} | {cell(cp, 'rss_peak', '%.1f')} | "
          f"{cell(fp, 'time_s', '%.2f')} | {cell(fp, 'rss_peak', '%.1f')} | {ratio} |")
a = load(f"{d}/accept.json")
if a:
    wall = open(f"{d}/accept.wall").read().strip()
    search = sum(p['time_s'] for p in a['probes'] if not p['check'])
    check = sum(p['time_s'] for p in a['probes'] if p['check'])
    print(f"\n## ctxmax --budget 2GiB -fa off\n\nanswer **{a['n_ctx_max']}** (search "
          f"{a['searched_n_ctx']}, checked {a['checked']}, stepped down {a['stepped_down']}); "
          f"{len(a['probes'])} probes; search {search:.1f} s, final check {check:.1f} s, "
          f"wall {wall} s\n")
    print("| # | n_ctx | fill | outcome | peak RSS MiB | time s |")
    print("|---:|---:|---|---|---:|---:|")
    for i, p in enumerate(a['probes']):
        print(f"| {i + 1} | {p['n_ctx']} | {p['fill']}{' (check)' if p['check'] else ''} | "
              f"{'ok' if p['ok'] else 'failed'} | {p['rss_peak'] / 1048576:.1f} | {p['time_s']:.2f} |")
PY
