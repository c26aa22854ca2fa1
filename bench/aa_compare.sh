#!/usr/bin/env bash
# The noise floor of `compare`: two real runs of the same build on the same model (A/A),
# stored in a scratch database and compared. Prints the compare table and how many rows
# report a significant difference (with a 95% interval, about 5% would by chance alone).
#
#   bench/aa_compare.sh [-m MODEL|dense|moe] [-p L] [-n L] [-d L] [-t L] [-r REPS]
#                       [--procs N] [--method welch|bootstrap] [--run-noise PCT]
# Defaults: the dense demo model, -p 512 -n 128 -d 0,1024 -t 1,2 -r 5, --procs 1, welch,
# compare's default run-to-run noise.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
model=dense pp=512 tg=128 depths=0,1024 threads=1,2 reps=5 procs=1 method=welch noise=
bench_flags "[-m MODEL|dense|moe] [-p L] [-n L] [-d L] [-t L] [-r REPS] [--procs N] [--method M] [--run-noise PCT]" \
    "-m=model -p=pp -n=tg -d=depths -t=threads -r=reps --procs=procs --method=method --run-noise=noise" "$@"
model=$(bench_model "$model")
for side in a1 a2; do
    "$QB" bench -m "$model" -p "$pp" -n "$tg" -d "$depths" -t "$threads" -r "$reps" --procs "$procs" \
        --db "$out/aa.db" --label "$side" -o jsonl >/dev/null
done
"$QB" compare a1 a2 --db "$out/aa.db" --method "$method" ${noise:+--run-noise "$noise"} |
    tee "$out/cmp.md"
total=$(grep -cE '^\| (pp|tg)[0-9]' "$out/cmp.md")
sig=$(grep -c '| \* |$' "$out/cmp.md" || true)
echo
echo "A/A: $sig of $total rows significant; $((total - sig)) of $total ($(((total - sig) * 100 / total))%) show no significant difference"
