#!/usr/bin/env bash
# The main job on a built-in default: a demo model of realistic shape (about 150M
# parameters, Q4_K_M; synthesized and cached the first time) and the default benchmark
# on it. QB_DEMO_ARGS overrides the benchmark flags.
set -euo pipefail
QB=${QB:-build/quantbench}
model=$(QB="$QB" bash "$(dirname "$0")/demo-model.sh" dense)
"$QB" info "$model" >&2
echo >&2
# shellcheck disable=SC2086
exec "$QB" bench -m "$model" ${QB_DEMO_ARGS:--p 512 -n 128 -r 5}
