#!/usr/bin/env bash
# The main job on a built-in default: synthesize a demo model of realistic shape
# (about 150M parameters, Q4_K_M; cached after the first time) and benchmark it.
# QB_DEMO_ARGS overrides the benchmark flags.
set -euo pipefail
QB=${QB:-build/quantbench}
cache=${QB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quantbench}/models
mkdir -p "$cache"
# 12 layers, width 768, 12 heads (4 KV heads), FFN 3072, 32000-token vocab: 153M params
shape=(--layers 12 --embd 768 --heads 12 --kv-heads 4 --ff 3072 --ctx 4096 --type Q4_K_M
       --seed 1 --name quantbench-demo-150M)
key=$(printf '%s\n' "${shape[@]}" "$("$QB" --version | sed -n 2p)" | sha256sum | cut -c1-12)
model="$cache/demo-150M-Q4_K_M-$key.gguf"
if [ ! -f "$model" ]; then
    echo "demo: synthesizing $model" >&2
    "$QB" synth -o "$model" "${shape[@]}" -t "$(nproc)"
fi
"$QB" info "$model" >&2
echo >&2
# shellcheck disable=SC2086
exec "$QB" bench -m "$model" ${QB_DEMO_ARGS:--p 512 -n 128 -r 5}
