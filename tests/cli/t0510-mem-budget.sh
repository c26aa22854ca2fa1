# mem --budget: GB is 10^9 and GiB (or G) 2^30, as coreutils; "does NOT fit" exits 5; the
# largest context is at most the model's training context and says so (a 4096 model
# "fit" 12,490,752 tokens in 96 GB); below it, the largest multiple of 256 that fits. For
# hardware other than this machine's (--gpus, -dev) the dry run is n/a with a note and
# --measure is refused.
. "$(dirname "$0")/lib.sh"
m="$MODELS/budget-4096.gguf"
[ -f "$m" ] || "$QB" synth -o "$m" --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 \
    --ctx 4096 --type Q4_0 --seed 3 >&2 || fail "synth 4096"
big="$MODELS/budget-32k.gguf"
[ -f "$big" ] || "$QB" synth -o "$big" --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 \
    --ctx 32768 --type Q4_0 --seed 4 >&2 || fail "synth 32k"
size() { # SIZE BYTES: --budget SIZE is BYTES
    run "$QB" mem -m "$m" --budget "$1" --no-dry-run -o json
    expect_rc 0 "--budget $1"
    [ "$(json_get "$T/out" "int(j['budget']['bytes'])")" = "$2" ] ||
        fail "--budget $1 read as $(json_get "$T/out" "int(j['budget']['bytes'])"), not $2"
}
size 96GB 96000000000
size 96GiB 103079215104
size 96G 103079215104
size 96gb 96000000000
size 500MB 500000000
size 500MiB 524288000
size 2TB 2000000000000
size 2TiB 2199023255552
size 1.5GiB 1610612736
size 900000KB 900000000
size 900000K 921600000
# the training context caps the answer, and says so
run "$QB" mem -m "$m" --budget 96GB --no-dry-run -o json
expect_rc 0 "96GB json"
python3 - "$T/out" <<'PY' || fail "capped at the training context"
import json, sys
m = json.load(open(sys.argv[1]))['models'][0]
assert m['n_ctx_train'] == 4096 and m['fit_ctx'] == 4096 and m['fit_ctx_capped'] is True, m
PY
run "$QB" mem -m "$m" --budget 96GB --no-dry-run
expect_rc 0 "96GB md"
expect_out_has "| $m | 4096 | 4096 (training context) |"
expect_out_has "(training context): the model's own context length; more would fit, but the model was not trained for it (llama.cpp warns)"
# below the training context: the largest multiple of 256 whose estimate fits
run "$QB" mem -m "$big" -c 4096 --no-dry-run -o json
expect_rc 0 "32k estimate"
budget=$(json_get "$T/out" "j['models'][0]['plan_bytes'] + 3000 * j['models'][0]['kv_bytes_per_cell']")
budget=${budget%.*}
run "$QB" mem -m "$big" -c 4096 --budget "$budget" --no-dry-run -o json
expect_rc 0 "32k budget"
python3 - "$T/out" "$budget" <<'PY' || fail "largest context below the training context"
import json, sys
j = json.load(open(sys.argv[1])); b = int(sys.argv[2])
m = j['models'][0]
per = m['kv_bytes_per_cell']
assert m['fit_ctx_capped'] is False and m['fit_ctx'] % 256 == 0 and 4096 < m['fit_ctx'] < 32768, m['fit_ctx']
assert m['plan_bytes'] + (m['fit_ctx'] - 4096) * per <= b
assert m['plan_bytes'] + (m['fit_ctx'] + 256 - 4096) * per > b
assert j['budget']['fits'] is True
PY
# does NOT fit: exit 5, md and json
run "$QB" mem -m "$m" -m "$big" -c 4096 --budget 10MB --no-dry-run
expect_rc 5 "does not fit, md"
expect_out_has "does NOT fit"
[ ! -s "$T/err" ] || { cat "$T/err"; fail "stderr for an answer"; }
run "$QB" mem -m "$m" -m "$big" -c 4096 --budget 10MB --no-dry-run -o json
expect_rc 5 "does not fit, json"
[ "$(json_get "$T/out" "j['budget']['fits']")" = False ] || fail "fits in json"
run "$QB" mem -m "$m" --budget 12XB
expect_rc 2
expect_err "quantbench mem: invalid size '12XB' for --budget (expected e.g. 96GiB, 512MiB, 8G); try 'quantbench mem --help'"
# other hardware: no dry run (n/a and why), --measure refused
run "$QB" mem -m "$m" -c 512 -o json
expect_rc 0 "this machine"
gpus=$(json_get "$T/out" "sum(d['gpu'] for d in j['models'][0]['dry_run']['devices'])")
sim=$((gpus + 2))
s=s; [ "$gpus" = 1 ] && s=
note="the estimate is for other hardware (--gpus $sim, and this machine has $gpus GPU$s); llama.cpp's dry run and --measure can only place on this machine's devices"
run "$QB" mem -m "$m" -c 512 --gpus "$sim" -o json
expect_rc 0 "--gpus $sim json"
python3 - "$T/out" "$note" <<'PY' || fail "json of other hardware"
import json, sys
m = json.load(open(sys.argv[1]))['models'][0]
assert 'dry_run' not in m and m['dry_run_note'] == sys.argv[2], m.get('dry_run_note')
assert [d['device'] for d in m['devices']][:2] == ['CUDA0', 'CUDA1'], m['devices']
PY
run "$QB" mem -m "$m" -c 512 --gpus "$sim"
expect_rc 0 "--gpus $sim md"
expect_out_has "dry run: n/a, $note"
grep '| \*\*total\*\* |' "$T/out" | grep -qv '| n/a | - |$' && { cat "$T/out"; fail "a dry-run total shown"; }
run "$QB" mem -m "$m" -c 512 -dev NOPE0 -o json
expect_rc 0 "-dev NOPE0"
[ "$(json_get "$T/out" "j['models'][0]['dry_run_note']")" = "the estimate is for other hardware (-dev NOPE0, and this machine has no device 'NOPE0'); llama.cpp's dry run and --measure can only place on this machine's devices" ] ||
    fail "-dev note"
run "$QB" mem -m "$m" -c 512 --gpus "$sim" --measure
expect_rc 2
expect_err "quantbench mem: --measure loads the model on this machine, the estimate is for other hardware (--gpus $sim, and this machine has $gpus GPU$s); try 'quantbench mem --help'"
run "$QB" mem -m "$m" -c 512 -dev ,
expect_rc 2
expect_err "quantbench mem: invalid value ',' for -dev (expected a device list such as CUDA0,CUDA1, or none); try 'quantbench mem --help'"
