#!/usr/bin/env bash
# Prints the path of a demo model of realistic shape, synthesizing it the first time
# (cached under ~/.cache/quantbench/models, keyed by shape and llama.cpp version).
#   dense: 12 layers, width 768, 12 heads (4 KV), FFN 3072, 32000 vocab: 153M params
#   moe:   8 layers, width 768, 12 heads (4 KV), 8 experts (2 used) of FFN 1024: 212M params
#   dense-f16: the dense shape in F16, the source of make run's quant ladder
# Both Q4_K_M but dense-f16.
set -euo pipefail
QB=${QB:-build/quantbench}
kind=${1:-dense}
cache=${QB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quantbench}/models
mkdir -p "$cache"
case "$kind" in
dense) shape=(--layers 12 --embd 768 --heads 12 --kv-heads 4 --ff 3072 --ctx 4096 --type Q4_K_M
              --seed 1 --name quantbench-demo-150M) ;;
dense-f16) shape=(--layers 12 --embd 768 --heads 12 --kv-heads 4 --ff 3072 --ctx 4096 --type F16
              --seed 1 --name quantbench-demo-150M) ;;
moe) shape=(--layers 8 --embd 768 --heads 12 --kv-heads 4 --ff 1024 --experts 8 --experts-used 2
            --ctx 4096 --type Q4_K_M --seed 2 --name quantbench-demo-moe-210M) ;;
*) echo "usage: $0 dense|dense-f16|moe" >&2; exit 2 ;;
esac
key=$(printf '%s\n' "${shape[@]}" "$("$QB" --version | sed -n 2p)" | sha256sum | cut -c1-12)
case "$kind" in
dense-f16) model="$cache/demo-dense-$key-F16.gguf" ;; # the ladder's rungs: demo-dense-KEY-TYPE.gguf
*) model="$cache/demo-$kind-Q4_K_M-$key.gguf" ;;
esac
if [ ! -f "$model" ]; then
    echo "demo: synthesizing $model" >&2
    "$QB" synth -o "$model" "${shape[@]}" -t "$(nproc)" >&2
fi
echo "$model"
