#!/usr/bin/env bash
# mem's estimate next to llama.cpp's own dry run (no_alloc) and what a real load
# allocated (llama.cpp's exact per-buffer breakdown), per device, for a grid of
# synthesized models and settings. Prints a markdown table.
#   bench/mem_vs_llama.sh [--gpus]   (--gpus: -ngl 99 grid for a CUDA build)
set -euo pipefail
cd "$(dirname "$0")/.."
QB=${QB:-build/quantbench}
dir=${QB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quantbench}/models/mem-bench
mkdir -p "$dir"
synth() { # NAME ARGS...
    local f="$dir/$1.gguf"
    shift
    [ -f "$f" ] || "$QB" synth -o "$f" "$@" --type Q4_K_M -t "$(nproc)" >&2
    echo "$f"
}
dense=$(synth dense --layers 4 --embd 1024 --heads 16 --kv-heads 4 --ff 2816 --ctx 32768 --seed 21)
moe=$(synth moe --layers 4 --embd 768 --heads 12 --kv-heads 4 --ff 512 --experts 8 --experts-used 2 \
    --ctx 32768 --seed 22)
ngl=()
[ "${1:-}" = --gpus ] && ngl=(-ngl 99)
grid=(
    "$dense -c 512" "$dense -c 4096" "$dense -c 32768" "$dense -c 8192 -ctk q8_0 -ctv q8_0"
    "$dense -c 8192 -ctk q4_0 -ctv q4_0" "$dense -c 8192 -fa off" "$dense -c 6000 -np 3"
    "$moe -c 4096" "$moe -c 32768 -ctk q8_0 -ctv q8_0" "$moe -c 8192 -ot exps=CPU"
    "$moe -c 8192 -ncmoe 2 -ctk q4_0 -ctv q4_0"
)
echo "| model | settings | device | estimate MiB | dry run MiB | measured MiB | estimate vs measured |"
echo "|---|---|---|---:|---:|---:|---:|"
for g in "${grid[@]}"; do
    # shellcheck disable=SC2086
    set -- $g
    m=$1
    shift
    "$QB" mem -m "$m" "$@" "${ngl[@]}" --measure -t "$(nproc)" -o json 2>/dev/null |
        python3 -c '
import json, sys
d = json.load(sys.stdin)["models"][0]
name, args = sys.argv[1], sys.argv[2]
def tot(parts, dev):
    return sum(p["model"] + p["context"] + p["compute"] + p["output"] for p in parts if p["dev"] == dev)
devs = []
for p in d["parts"]:
    if p["dev"] not in devs:
        devs.append(p["dev"])
for dev in devs:
    e = tot(d["parts"], dev)
    dr = tot(d["dry_run"]["buffers"], dev) if "dry_run" in d else 0
    me = tot(d["measured"]["buffers"], dev) if "measured" in d else 0
    print("| %s | %s | %s | %.2f | %.2f | %.2f | %+.2f%% |" % (name, args, dev, e / 2**20, dr / 2**20,
          me / 2**20, 100.0 * (e - me) / me if me else 0))
' "$(basename "$m" .gguf)" "$*"
done
