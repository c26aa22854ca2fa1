#!/usr/bin/env bash
# What `quantbench run` saves: the default suite through `run` (side A) against the same
# measurements as the separate commands a user would type (side B: per rung bench, mem,
# quality (KLD against the source) and prompts), same models and settings. The ladder and
# the source's log-probabilities (B's base file and run's cached one) are made once before,
# so neither side quantizes or computes the base in the timed rounds. Rounds alternate which
# side goes first; prints (markdown) the wall time ratio A/B with its 95% interval (paired,
# log scale; goal <= 0.9) and, per rung and figure, A's mean over B's with the paired
# interval. PPL, KLD and the prompts' answers must be equal exactly, and the rows of both
# sides must carry the same settings: exit 1 when not (also when a side fails).
#
#   bench/run_overhead.sh [--source F16.gguf|dense-f16] [--small] [--rounds N] [--save FILE]
# Defaults: the F16 demo model (scripts/demo-model.sh dense-f16), its ladder beside it,
# 3 rounds. --small: a 2-layer model synthesized in the scratch directory (a quick check).
# --save FILE: also write the summary there (e.g. bench/results/cpu-run-overhead.md).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
usage="[--source F16.gguf|dense-f16] [--small] [--rounds N] [--save FILE]"
src_arg='' rounds=3 save='' small=0
args=()
for a in "$@"; do
    if [ "$a" = --small ]; then small=1; else args+=("$a"); fi
done
bench_flags "$usage" "--source=src_arg --rounds=rounds --save=save" "${args[@]}"
if ! [[ $rounds =~ ^[1-9][0-9]*$ ]] || { [ "$small" = 1 ] && [ -n "$src_arg" ]; }; then
    echo "usage: $0 $usage (--rounds: a positive count; --small or --source, not both)" >&2
    exit 2
fi

# fail MESSAGE [STDERR_FILE]: say why, with the end of the side's stderr, and exit 1
fail() {
    echo "run_overhead: $1" >&2
    [ -n "${2:-}" ] && [ -s "$2" ] && tail -n 20 "$2" | sed 's/^/    /' >&2
    exit 1
}

# ---- set-up, once: the source, its ladder (neither side pays for quantizing), the corpus
if [ "$small" = 1 ]; then
    src=$out/small-F16.gguf
    "$QB" synth -o "$src" --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 4096 \
        --type F16 --seed 7 >/dev/null 2>"$out/setup.err" || fail "synth failed" "$out/setup.err"
else
    src=$(bench_model "${src_arg:-dense-f16}")
fi
[ -f "$src" ] || fail "no source model '$src'"
src=$(cd "$(dirname "$src")" && pwd)/$(basename "$src")
echo "source: $src" >&2

# run's cache of base log-probabilities: a directory of the scratch space, made in set-up
export QB_BASE_DIR=$out/bases

# rungs TYPES_OUT: the ladder's rungs (TYPE PATH STATE per line) from run's own plan, whose
# suite and cells must be exactly the tests side B types; STATE is made or missing
rungs() {
    "$QB" run --example --source "$src" >"$out/suite.json"
    "$QB" run --source "$src" --dry-run --no-db >"$out/plan.md" 2>"$out/plan.err" ||
        fail "run --dry-run failed" "$out/plan.err"
    python3 - "$out/suite.json" "$out/plan.md" "$(dirname "$src")" >"$1" <<'PY'
import json, sys
suite, plan, d = json.load(open(sys.argv[1])), open(sys.argv[2]).read(), sys.argv[3]
types = suite['models'][0]['ladder']['types']
tests = [{"test": "bench", "p": 512, "n": 128, "pg": "512,128", "r": 5},
         {"test": "mem", "c": 4096},
         {"test": "quality", "corpus": "licenses", "c": 512, "chunks": 16, "base": "source"},
         {"test": "prompts", "set": "builtin", "max_tokens": 64}]
if suite['tests'] != tests:
    sys.exit(f"run's default suite has the tests {json.dumps(suite['tests'])}, side B types "
             f"{json.dumps(tests)}: update bench/run_overhead.sh")
cells = {}
for line in plan.splitlines():
    c = [x.strip() for x in line.strip().strip('|').split('|')]
    if len(c) == 6 and c[0].isdigit():
        cells.setdefault(c[1], []).append((c[2], c[4]))
want = ['pp512', 'tg128', 'pp512+tg128', 'mem', 'kld licenses', 'prompts builtin']
if len(cells) != len(types):
    sys.exit(f"the plan has {len(cells)} models for {len(types)} rungs")
for t in types:
    name = [m for m in cells if m.endswith(f"-{t}.gguf")]
    if len(name) != 1:
        sys.exit(f"no rung of type {t} in run's plan")
    tests = [x[0] for x in cells[name[0]]]
    if tests != want:
        sys.exit(f"run's default suite has {tests} on {name[0]}, side B types {want}: "
                 "update bench/run_overhead.sh")
    made = all(a != 'run (rung to be made)' for _, a in cells[name[0]])
    print(t, f"{d}/{name[0]}", 'made' if made else 'missing')
PY
}
rungs "$out/rungs" || fail "run's plan is not the one this script measures"
missing=$(awk '$3 == "missing" { printf "%s%s", s, $1; s = "," }' "$out/rungs")
if [ -n "$missing" ]; then
    echo "set-up: quantizing $missing (once, before the rounds)" >&2
    "$QB" quantize -m "$src" --types "$missing" -o "$(dirname "$src")" --no-db --no-progress \
        >/dev/null 2>"$out/setup.err" || fail "quantize failed" "$out/setup.err"
    rungs "$out/rungs" || fail "run's plan is not the one this script measures"
    ! grep -q ' missing$' "$out/rungs" || fail "rungs still missing after quantize: $missing"
fi
mapfile -t models < <(awk '{ print $2 }' "$out/rungs")

# the source's log-probabilities, once: B's base file (quality --save-base; the licenses
# corpus is made on first use) and run's cached one, made by a suite of the default's KLD
# test alone on one rung (the same base, text and chunking: the same cache entry). Both
# must be the same bytes; none may be made in the rounds (checked after them).
echo "set-up: the source's log-probabilities (B's base file and run's cache)" >&2
"$QB" quality -m "$src" --corpus licenses -c 512 --chunks 16 --save-base "$out/B.base.bin" \
    --no-db >/dev/null 2>"$out/setup.err" || fail "quality --save-base failed" "$out/setup.err"
python3 - "$out/suite.json" >"$out/base-suite.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s['name'], s['tests'] = 'run-overhead-base', [t for t in s['tests'] if t['test'] == 'quality']
s['models'][0]['ladder']['types'] = s['models'][0]['ladder']['types'][:1]
json.dump(s, sys.stdout, indent=1)
PY
"$QB" run "$out/base-suite.json" --db "$out/setup.db" --no-progress >/dev/null \
    2>"$out/setup.err" || fail "run of the KLD test alone (run's base) failed" "$out/setup.err"
bases() { find "$QB_BASE_DIR" -maxdepth 1 -name '*.bin' | sort; }
[ "$(bases | wc -l)" = 1 ] || fail "run's base cache holds $(bases | wc -l) files, not 1"
cmp -s "$(bases)" "$out/B.base.bin" ||
    fail "run's cached base $(bases) differs from quality --save-base's"
"$QB" prompts --set list >"$out/set.txt" 2>"$out/setup.err" ||
    fail "prompts --set list failed" "$out/setup.err"
sync # the rungs and bases just written out: no write-back inside the first side's time
echo "rungs: $(awk '{ printf "%s ", $1 }' "$out/rungs")" >&2

# ---- the sides: every command's exit status checked; a failure ends the script (exit 1)
side_a() { # ROUND
    "$QB" run --source "$src" --fresh --db "$out/A.db" --label "A$1" --no-progress \
        >"$out/A.$1.md" 2>"$out/A.$1.err" ||
        fail "side A: run exited $? in round $1" "$out/A.$1.err"
}

side_b() { # ROUND
    local k=0 m e=$out/B.$1.err
    : >"$e"
    for m in "${models[@]}"; do
        "$QB" bench -m "$m" -p 512 -n 128 -pg 512,128 -r 5 --db "$out/B.db" --label "B$1" \
            >>"$out/B.$1.md" 2>>"$e" || fail "side B: bench -m $m exited $? in round $1" "$e"
        # run's mem cell: a measured load, no dry run (mem stores no rows: its json kept)
        "$QB" mem -m "$m" -c 4096 --measure --no-dry-run -o json >"$out/B.$1.mem.$k.json" \
            2>>"$e" || fail "side B: mem -m $m exited $? in round $1" "$e"
        # run's KLD cell: against the source's log-probabilities (their chunk size)
        "$QB" quality -m "$m" --base "$out/B.base.bin" --chunks 16 --db "$out/B.db" \
            --label "B$1" >>"$out/B.$1.md" 2>>"$e" ||
            fail "side B: quality -m $m exited $? in round $1" "$e"
        "$QB" prompts -m "$m" --max-tokens 64 --db "$out/B.db" --label "B$1" \
            >>"$out/B.$1.md" 2>>"$e" || fail "side B: prompts -m $m exited $? in round $1" "$e"
        k=$((k + 1))
    done
}

load0=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq 1 "$rounds"); do
    if [ $((i % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
    for side in $order; do
        s=$(date +%s.%N)
        if [ "$side" = A ]; then side_a "$i"; else side_b "$i"; fi
        awk -v a="$(date +%s.%N)" -v b="$s" 'BEGIN { print a - b }' >"$out/$side.$i.time"
    done
    "$QB" report --db "$out/A.db" "A$i" -o jsonl >"$out/A.$i.jsonl" 2>"$out/report.err" ||
        fail "report of side A failed" "$out/report.err"
    "$QB" report --db "$out/B.db" "B$i" -o jsonl >"$out/B.$i.jsonl" 2>"$out/report.err" ||
        fail "report of side B failed" "$out/report.err"
    echo "round $i done (order $order): A $(cat "$out/A.$i.time") s," \
        "B $(cat "$out/B.$i.time") s" >&2
done
load1=$(cut -d' ' -f1 /proc/loadavg)
n_bases=$(bases | wc -l)

rc=0
N_BASES=$n_bases python3 - "$out" "$rounds" "$src" "$("$QB" --version | head -1)" "$(nproc)" \
    "$load0" "$load1" "${models[@]}" >"$out/summary.md" <<'PY' || rc=$?
import json, math, os, sys, statistics as st
d, n, src, version, cpus, load0, load1 = sys.argv[1:8]
n, models = int(sys.argv[2]), sys.argv[8:]
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086]

def paired(a, b):
    """geometric mean of a_i / b_i and its 95% interval (t on the logs); None with one pair"""
    lr = [math.log(x / y) for x, y in zip(a, b)]
    m = st.mean(lr)
    if len(lr) < 2:
        return math.exp(m), None
    h = (T975[len(lr) - 2] if len(lr) - 2 < len(T975) else 1.96) * st.stdev(lr) / len(lr) ** 0.5
    return math.exp(m), (math.exp(m - h), math.exp(m + h))

def test_of(r):
    if r['kind'] == 'bench':
        p, g = r['row']['n_prompt'], r['row']['n_gen']
        return f"pp{p}+tg{g}" if p and g else f"pp{p}" if p else f"tg{g}"
    if r['kind'] == 'prompts':
        return f"prompts {r['row']['id']}"
    return r['kind']

# the built-in set's ids: `prompts --set list`'s lines after its first, to the blank one
set_lines = open(f"{d}/set.txt").read().split('\n\n')[0].splitlines()
ids = [x.split()[0] for x in set_lines[1:]]
problems = []
if not ids:
    problems.append("prompts --set list names no prompt")
# rows[side][round][(model, test)] = the stored row (side B's mem: its json's model object;
# prompts: a row per answer, test 'prompts ID')
rows = {'A': [], 'B': []}
for i in range(1, n + 1):
    for side in 'AB':
        got = {}
        for line in open(f"{d}/{side}.{i}.jsonl"):
            r = json.loads(line)
            k = (r['row']['model_filename'], test_of(r))
            if k in got:
                problems.append(f"side {side}, round {i}: two {k[1]} rows of {k[0]}")
            got[k] = r
        if side == 'B':
            for j, m in enumerate(models):
                got[(m, 'mem')] = {'kind': 'mem',
                                   'row': json.load(open(f"{d}/B.{i}.mem.{j}.json"))['models'][0]}
        rows[side].append(got)
tests = ['pp512', 'tg128', 'pp512+tg128', 'mem', 'quality'] + [f"prompts {x}" for x in ids]
for side in 'AB':
    for i, got in enumerate(rows[side], 1):
        for m in models:
            for t in tests:
                if (m, t) not in got:
                    problems.append(f"side {side}, round {i}: no {t} row of {m}")
        extra = [k for k in got if k[0] not in models or k[1] not in tests]
        if extra:
            problems.append(f"side {side}, round {i}: rows not asked for: {extra}")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)

# the settings: bench, quality and prompts rows carry them whole; mem's json the context's,
# the estimate and the exact buffers of the measured load (the same only for the same
# settings). Not compared: the stored settings' 'text', in a KLD row the base file's path
# (the two files are the same bytes, checked in set-up) and in a prompts row the answer
# (compared below); a KLD row's corpus (B's, from --base, names none: its tokens come from
# the base file, whose text id is compared)
ROW_KEYS = ('reps', 'seed', 'n_chunks', 'text_id', 'n_tokens', 'count', 'warmup',
            'set', 'id', 'prompt', 'system', 'chat_template', 'n_prompt_tokens', 'max_tokens',
            'temp', 'top_k', 'top_p', 'stop')
def mem_view(r):
    return {k: r.get(k, r.get('estimate', {}).get(k)) for k in
            ('n_ctx', 'n_seq', 'n_ubatch', 'type_k', 'type_v', 'total_bytes', 'parts')} | \
           {'measured buffers': r['measured']['buffers']}
for i in range(n):
    for m in models:
        for t in tests:
            a, b = rows['A'][i][(m, t)], rows['B'][i][(m, t)]
            if t == 'mem':
                sa, sb = mem_view(a['row']), mem_view(b['row'])
            else:
                sa, sb = dict(a['settings']), dict(b['settings'])
                if t == 'quality' or t.startswith('prompts '):
                    sa.pop('text', None), sb.pop('text', None)
                for k in ROW_KEYS:
                    if k in a['row'] or k in b['row']:
                        sa[k], sb[k] = a['row'].get(k), b['row'].get(k)
            for k in sorted(set(sa) | set(sb)):
                if sa.get(k) != sb.get(k):
                    problems.append(f"round {i + 1}, {os.path.basename(m)} {t}: {k} is "
                                    f"{json.dumps(sa.get(k))[:80]} in A, "
                                    f"{json.dumps(sb.get(k))[:80]} in B")

def figure(side, i, m, t, f):
    """the figure f of test t of rung m in a round (prompts: the mean over the answers
    that have it); None when none has it"""
    if t == 'prompts':
        v = [rows[side][i][(m, f"prompts {x}")]['row'].get(f) for x in ids]
        v = [x for x in v if isinstance(x, (int, float)) and x > 0]
        return st.mean(v) if v else None
    x = rows[side][i][(m, t)]['row']
    if t == 'mem':
        return x['measured']['rss_peak'] / 2**20
    if t == 'quality':
        return x['ppl'] if f == 'ppl' else x['kld']['kld']
    return x[f]

ta = [float(open(f"{d}/A.{i}.time").read()) for i in range(1, n + 1)]
tb = [float(open(f"{d}/B.{i}.time").read()) for i in range(1, n + 1)]
print("# The default suite through `run` vs the same measurements as separate commands\n")
print(f"- source: `{src}`; rungs: " + ", ".join(f"`{os.path.basename(m)}`" for m in models))
print(f"- {version}; {cpus} CPUs; load average {load0} at the start, {load1} at the end; "
      f"{n} round{'s' if n > 1 else ''}, alternating which side goes first")
print("- set-up (untimed): the ladder; `quantbench quality -m SRC --corpus licenses -c 512 "
      "--chunks 16 --save-base B.base.bin`; run's cached base (`$QB_BASE_DIR`) by a suite of "
      "the KLD test alone")
print("- A: `quantbench run --source SRC --fresh --db A.db --no-progress`")
print("- B, per rung: `quantbench bench -m RUNG -p 512 -n 128 -pg 512,128 -r 5 --db B.db`, "
      "`quantbench mem -m RUNG -c 4096 --measure --no-dry-run -o json`, "
      "`quantbench quality -m RUNG --base B.base.bin --chunks 16 --db B.db`, "
      "`quantbench prompts -m RUNG --max-tokens 64 --db B.db`\n")
print("## Wall time\n")
print("| round | first | A: run s | B: commands s | A/B |")
print("|---:|---|---:|---:|---:|")
for i in range(n):
    print(f"| {i + 1} | {'A' if i % 2 == 0 else 'B'} | {ta[i]:.2f} | {tb[i]:.2f} | "
          f"{ta[i] / tb[i]:.3f} |")
g, ci = paired(ta, tb)
if ci:
    verdict = ("met: the whole interval is at or below 0.9" if ci[1] <= 0.9 else
               "not met: the whole interval is above 0.9" if ci[0] > 0.9 else
               "undecided: the interval spans 0.9")
    print(f"\nA/B wall time: **{g:.3f}** [95% CI {ci[0]:.3f}, {ci[1]:.3f}] (geometric mean of "
          f"the per-round ratios); goal <= 0.9: {verdict}")
else:
    print(f"\nA/B wall time: **{g:.3f}** (one round: no interval); goal <= 0.9: "
          f"{'met' if g <= 0.9 else 'not met'} in this round")
print("\n## Figures (A's mean over rounds / B's)\n")
print("| rung | figure | A mean | B mean | A/B of means | paired A/B [95% CI] | within noise |")
print("|---|---|---:|---:|---:|---|---|")
figs = [('pp512', 'avg_ts', 'pp512 t/s'), ('tg128', 'avg_ts', 'tg128 t/s'),
        ('pp512+tg128', 'pp_avg_ts', 'pp512+tg128: pp t/s'),
        ('pp512+tg128', 'tg_avg_ts', 'pp512+tg128: tg t/s'), ('mem', None, 'peak RSS MiB'),
        ('prompts', 'ttft_ms', f"prompts: TTFT ms (mean of {len(ids)})"),
        ('prompts', 'gen_tps', f"prompts: gen t/s (mean of {len(ids)})")]
outside = n_figs = 0
for m in models:
    name = os.path.basename(m)
    for t, f, label in figs:
        a = [figure('A', i, m, t, f) for i in range(n)]
        b = [figure('B', i, m, t, f) for i in range(n)]
        if None in a + b:
            print(f"| {name} | {label} | - | - | - | - | - (an answer of one token or none) |")
            continue
        n_figs += 1
        g, ci = paired(a, b)
        if ci:
            inside = ci[0] <= 1 <= ci[1]
            outside += not inside
            cell = f"{g:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"
            mark = "yes" if inside else "**no**"
        else:
            cell, mark = f"{g:.3f}", "- (one round)"
        print(f"| {name} | {label} | {st.mean(a):.2f} | {st.mean(b):.2f} | "
              f"{st.mean(a) / st.mean(b):.3f} | {cell} | {mark} |")
    for f, label, fmt in (('ppl', 'PPL', '.4f'), ('kld', 'KLD', '.6f')):
        a = [figure('A', i, m, 'quality', f) for i in range(n)]
        b = [figure('B', i, m, 'quality', f) for i in range(n)]
        same = len(set(a + b)) == 1
        if not same:
            problems.append(f"{name}: {label} differs: A {a}, B {b}")
        print(f"| {name} | {label} | {a[0]:{fmt}} | {b[0]:{fmt}} | {a[0] / b[0]:.6f} | - | "
              f"{'equal exactly, every round' if same else '**DIFFERENT**'} |")
    differ = [x for x in ids
              if len({rows[s][i][(m, f"prompts {x}")]['row']['text']
                      for s in 'AB' for i in range(n)}) != 1]
    for x in differ:
        problems.append(f"{name}: the answer to {x} differs between A and B or over rounds")
    print(f"| {name} | prompts: answers | - | - | - | - | "
          + (f"the same {len(ids)} texts, every round" if not differ else
             f"**DIFFERENT**: {', '.join(differ)}") + " |")
if n > 1:
    print(f"\n{outside} of {n_figs} speed and memory figures have a 95% interval that "
          "excludes 1 (about 5% would by chance alone)")
n_bases = int(os.environ['N_BASES'])
if n_bases != 1:
    problems.append(f"run's base cache holds {n_bases} files after the rounds, not 1: side A "
                    "computed base log-probabilities in the timed rounds")
print("\n## Checks\n")
if problems:
    print("**FAILED**:\n")
    print("\n".join(f"- {p}" for p in problems))
else:
    print("- every PPL and KLD equal exactly between A and B (and over rounds); every "
          "prompt's answer the same text (greedy)")
    print("- the source's log-probabilities: B's base file and run's cached one the same "
          "bytes, made in set-up; no other made in the rounds")
    print("- the settings of every row the same in A and B (bench, quality and prompts: the "
          "stored settings, reps, seed, chunks, the text's id, tokens scored; prompts: the "
          "set, prompt, template and sampling, max tokens; mem: context, estimate and the "
          "measured load's buffers)")
sys.exit(1 if problems else 0)
PY
cat "$out/summary.md"
[ "$rc" = 0 ] || echo "run_overhead: the checks failed (see above)" >&2
if [ -n "$save" ] && [ -s "$out/summary.md" ]; then
    cp "$out/summary.md" "$save"
    echo "saved: $save" >&2
fi
exit "$rc"
