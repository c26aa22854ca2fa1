#!/usr/bin/env bash
# mem --budget solves -np: the most parallel sequences of the asked context per sequence
# (-c / -np, as llama.cpp divides n_ctx) whose plan fits. Checked by a real load: the solved
# n_seq loaded by llama.cpp (mem --measure) allocates no more than its plan and fits the
# budget; one more sequence's plan does not. The context per sequence is cut to the
# training context, and the output says so.
. "$(dirname "$0")/lib.sh"
m=$(model_dense) # training context 2048
plan() {         # NP CTX: the plan's bytes at -np NP -c CTX
    run "$QB" mem -m "$m" -np "$1" -c "$2" --no-dry-run -o json
    expect_rc 0 "plan -np $1"
    json_get "$T/out" "int(j['models'][0]['plan_bytes'])"
}
p6=$(plan 6 3072)
p7=$(plan 7 3584)
[ "$p7" -gt "$p6" ] || fail "the plan does not grow with -np ($p6, $p7)"
budget=$(((p6 + p7) / 2))
for fmt in json md; do
    run "$QB" mem -m "$m" -c 512 --budget "$budget" --no-dry-run -o $fmt
    expect_rc 0 "budget $fmt"
    cp "$T/out" budget.$fmt
done
[ "$(json_get budget.json "j['models'][0]['fit_np']")" = 6 ] || { cat budget.json; fail "-np solved wrong"; }
[ "$(json_get budget.json "j['models'][0]['fit_np_ctx']")" = 512 ] || fail "context per sequence"
[ "$(json_get budget.json "j['models'][0]['fit_np_capped']")" = False ] || fail "capped"
grep -qF "| $m | 512 | 2048 (training context) | 6 (512) |" budget.md || { cat budget.md; fail "md row"; }
grep -qF -- "-np: llama.cpp divides -c among the sequences (n_ctx per sequence = -c / -np, padded to 256)" budget.md ||
    fail "md semantics line"
# the same question asked with -np 2 -c 1024 (512 per sequence): the same answer
run "$QB" mem -m "$m" -np 2 -c 1024 --budget "$budget" --no-dry-run -o json
[ "$(json_get "$T/out" "j['models'][0]['fit_np']")" = 6 ] || fail "-np 2 -c 1024"

# a real load of the answer: llama.cpp's buffers at -np 6 (3072 = 6 x 512) within the plan
# and the budget
run "$QB" mem -m "$m" -np 6 -c 3072 --measure -t 2 -o json
expect_rc 0 "measure -np 6"
python3 - "$T/out" "$budget" "$p7" <<'PY' || fail "the solved -np against a real load"
import json, sys
j = json.load(open(sys.argv[1]))['models'][0]
budget, p7 = int(sys.argv[2]), int(sys.argv[3])
meas = j['measured']
assert meas['exact'], 'no exact breakdown'
got = sum(b['model'] + b['context'] + b['compute'] + b['output'] for b in meas['buffers'])
assert j['n_ctx_seq'] == 512 and j['n_seq'] == 6, j
assert got <= j['plan_bytes'], ('llama.cpp allocated more than the plan', got, j['plan_bytes'])
assert got <= budget, ('the solved -np does not fit for real', got, budget)
assert p7 > budget, ('7 sequences fit the plan', p7, budget)
print('np 6: llama.cpp %d bytes, plan %d, budget %d; np 7 plan %d' % (got, j['plan_bytes'], budget, p7),
      file=sys.stderr)
PY

# beyond the training context: solved at 2048 per sequence, and said
run "$QB" mem -m "$m" -c 4096 --budget 1GiB --no-dry-run -o json
expect_rc 0 "cap"
[ "$(json_get "$T/out" "j['models'][0]['fit_np_ctx']")" = 2048 ] || fail "not capped at 2048"
[ "$(json_get "$T/out" "j['models'][0]['fit_np_capped']")" = True ] || fail "cap not said (json)"
run "$QB" mem -m "$m" -c 4096 --budget 1GiB --no-dry-run
expect_out_has "(2048, the training context) |"
expect_out_has "(the training context): n_ctx per sequence asked exceeds the model's own context length; the sequences were solved at that length"
# a budget below one sequence: 0, exit 5
run "$QB" mem -m "$m" -c 512 --budget 1MiB --no-dry-run -o json
expect_rc 5 "nothing fits"
[ "$(json_get "$T/out" "j['models'][0]['fit_np']")" = 0 ] || fail "fit_np with nothing fitting"
exit 0
