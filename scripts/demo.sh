#!/usr/bin/env bash
# The main job on a built-in default: quantbench run's default suite (quantbench run
# --example prints it) on a demo model of realistic shape (about 150M parameters,
# synthesized in F16 and cached the first time): its quant ladder Q8_0 / Q6_K / Q4_K_M /
# Q3_K_L (made once, beside it), bench pp512, tg128 and pp512+tg128, memory, perplexity
# and KL-divergence against the source, and the built-in prompts (answered, graded) of
# each rung. A second make run reuses every finished cell. The results go
# to ./quantbench.db ($QB_DB), the table to stdout, an html report of every row in the
# database to ./quantbench-report.html, and the command that serves the dashboard on them.
# QB_DEMO_ARGS adds flags to run (e.g. --fresh).
set -euo pipefail
QB=${QB:-build/quantbench}
src=$(QB="$QB" bash "$(dirname "$0")/demo-model.sh" dense-f16)
"$QB" info "$src" >&2
echo >&2
rc=0
# shellcheck disable=SC2086
"$QB" run --source "$src" ${QB_DEMO_ARGS:-} || rc=$?
if [ "$rc" = 0 ] || [ "$rc" = 4 ]; then
    run=$("$QB" report --runs -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
    "$QB" report -o html >quantbench-report.html &&
        echo "demo: the html report: quantbench-report.html (open it in a browser); the table again: $QB report --suite $run" >&2
    echo "demo: the dashboard on these results: $QB serve --db ${QB_DB:-quantbench.db} (then open http://127.0.0.1:8080/#/results/$run)" >&2
fi
exit "$rc"
