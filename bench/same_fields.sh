#!/usr/bin/env bash
# Field-for-field check of two quantbench builds (a refactor must not change what users
# see): bench, sweep, batched and quality on the same synthesized model with a fixed seed,
# -o json, through both binaries; every row must have the same keys in the same order, and
# the same values apart from timings (and what follows from them: t/s, noisy, memory peaks,
# process RSS, times of day). Prints each difference; exit 1 if there is one.
#   bench/same_fields.sh OLD_QB NEW_QB [NEW_KEY,...]
# NEW_KEY,...: keys the new build is meant to add (a new setting in the rows), accepted
# where they appear after the old keys' order is checked
set -u
old=${1:?usage: same_fields.sh OLD_QB NEW_QB} new=${2:?usage: same_fields.sh OLD_QB NEW_QB}
tmp=$(mktemp -d /tmp/qb-same.XXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
"$new" synth -o m.gguf --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 2048 \
    --seed 7 >/dev/null 2>&1 || { echo "synth failed"; exit 2; }
"$new" synth -o src-F16.gguf --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 2048 \
    --type F16 --seed 7 >/dev/null 2>&1 || { echo "synth failed"; exit 2; }
head -c 30000 /usr/share/common-licenses/GPL-3 >text.txt
cases=(
    "bench -m m.gguf -p 64 -n 16 -r 2 -t 1 -d 0,32 -pg 32,8"
    "bench -m m.gguf -p 16 -n 0 -r 1 -t 1,2 -b 256,512 -ub 128 -ctk f16,q8_0 -fa on,off -nkvo 0 -ngl 0 -sm none,layer -mg 0 -ts 1 -dev none -ot none -lm mmap -C 0x1 --poll 0 --cpu-strict 0 --no-warmup"
    "bench -m m.gguf -p 8 -n 0 -r 1 -t 1 -mmp 0,1 -d 0-16+16"
    "sweep -m m.gguf -c 512 -ub 128 -n 16 -t 1"
    "batched -m m.gguf -c 1024 -npp 32 -ntg 8 -npl 1,2 -t 1"
    "quality -m m.gguf -f text.txt -c 128 --chunks 3 -t 1"
    "quantize -m src-F16.gguf --types Q8_0,Q4_0 --bench -p 32 -n 8 -r 2 --quality -f text.txt -c 128 --chunks 2 -t 1 --format"
)
bad=0
for c in "${cases[@]}"; do
    out="-o json"
    case $c in quantize*) out="json -o lad"; rm -rf lad ;; esac
    # shellcheck disable=SC2086
    "$old" $c $out --no-db >old.json 2>old.err
    rc_old=$?
    case $c in quantize*) rm -rf lad ;; esac
    # shellcheck disable=SC2086
    "$new" $c $out --no-db >new.json 2>new.err
    rc_new=$?
    if [ $rc_old != $rc_new ]; then
        echo "$c: exit $rc_old before, $rc_new now"
        bad=1
    fi
    python3 - "$c" old.json new.json "${3:-}" <<'PY' || bad=1
import json, re, sys
name, a, b = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
added = set(k for k in sys.argv[4].split(',') if k)
a = a if isinstance(a, list) else [a]
b = b if isinstance(b, list) else [b]
timing = re.compile(r'(_ns|_ts|_ts_sd|_s|_ms|_sd)$|^(t|t_pp|t_tg|speed.*|samples_.*|noisy|'
                    r'test_time|rss_.*|mem_peak_rss.*|reps_stop|ppl_time.*|time.*|.*_time)$')
ok = True
if len(a) != len(b):
    print(f"{name}: {len(a)} rows before, {len(b)} now"); sys.exit(1)
for i, (x, y) in enumerate(zip(a, b)):
    y = {k: v for k, v in y.items() if not (k in added and k not in x)}
    if list(x) != list(y):
        print(f"{name}: row {i}: keys differ: before-only {sorted(set(x) - set(y))}, "
              f"now-only {sorted(set(y) - set(x))}" if set(x) != set(y) else
              f"{name}: row {i}: key order differs")
        ok = False
    for k in x:
        if k in y and not timing.search(k) and x[k] != y[k]:
            print(f"{name}: row {i}: {k}: {x[k]!r} before, {y[k]!r} now"); ok = False
print(f"{name}: {len(a)} rows, " + ("same" if ok else "DIFFERENT"))
sys.exit(0 if ok else 1)
PY
done
# bench's md: the same columns (llama-bench's rule: a setting that varies or is not the
# default gets one)
for c in "-p 8 -n 0 -r 1 -t 1" "-p 8 -n 0 -r 1 -t 1,2 -b 256 -ctk q8_0 -fa off -sm none -ngl 0,1" \
    "-p 8 -n 0 -r 1 -t 1 -mmp 0 -ts 1 -dev none -ot none -C 0x1 --poll 0 -nkvo 1 -ub 128 -ncmoe 1"; do
    # shellcheck disable=SC2086
    h_old=$("$old" bench -m m.gguf $c --no-db 2>/dev/null | head -1)
    # shellcheck disable=SC2086
    h_new=$("$new" bench -m m.gguf $c --no-db 2>/dev/null | head -1)
    if [ "$h_old" != "$h_new" ] || [ -z "$h_old" ]; then
        printf 'bench md %s: columns differ:\n  before: %s\n  now:    %s\n' "$c" "$h_old" "$h_new"
        bad=1
    else
        echo "bench md $c: same columns"
    fi
done
exit $bad
