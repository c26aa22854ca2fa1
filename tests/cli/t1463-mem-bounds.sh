#!/usr/bin/env bash
# mem's bounds: where the estimate is not exact (bench/results/h100-notes.md, README), a
# margin line per case, and the plan (estimate + bounds) is what --budget checks. Each case
# appears where it should, with its bytes, and nowhere else.
. "$(dirname "$0")/lib.sh"
w="$MODELS/bounds-wide.gguf" # n_ff 3 x n_embd: no fragmentation bound
[ -f "$w" ] || "$QB" synth -o "$w" --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 768 \
    --ctx 65536 --seed 31 >&2 || fail "synth wide"
narrow=$(model_dense) # n_ff 2 x n_embd
bounds() {            # MODEL FLAGS...: "DEVICE BYTES WHY" per bound in $T/bounds
    local mod=$1
    shift
    run "$QB" mem -m "$mod" --no-dry-run -o json "$@"
    expect_rc 0 "mem $*"
    json_get "$T/out" "'\n'.join('%s %d %s' % (b['device'], b['bytes'], b['why']) for b in j['models'][0]['bounds'])" >"$T/bounds"
    python3 - "$T/out" <<'PY' || fail "plan != estimate + bounds"
import json, sys
m = json.load(open(sys.argv[1]))['models'][0]
assert m['plan_bytes'] == m['total_bytes'] + sum(b['bytes'] for b in m['bounds'])
PY
}
has() { grep -qF -- "$1" "$T/bounds" || { cat "$T/bounds"; fail "no bound '$1' ($2)"; }; }
none() { ! grep -q . "$T/bounds" || { cat "$T/bounds"; fail "a bound where none belongs ($1)"; }; }

bounds "$w" --gpus 1 -c 8192
none "full offload, f16, 8k"
bounds "$w" --gpus 1 -c 8192 -fa off -c 32768
none "no flash attention"
bounds "$w" --gpus 1 -c 16384
has "CUDA0 16777216 CUDA flash-attention scratch at n_kv >= 16k" "16k: 2 * 512 * 16384"
[ "$(grep -c . "$T/bounds")" -eq 1 ] || fail "more than the FA bound at 16k"
bounds "$w" --gpus 1 -c 4096 -ctk q8_0 -ctv q8_0
# K width 2 heads x 64 = 128: 2 bytes * 4096 cells * (128 + 128)
has "CUDA0 2097152 CUDA flash attention over a quantized cache converts K/V to f16" "q8_0"
bounds "$w" --gpus 1 -c 4096 -ngl 1
has "layers on the CPU beside a GPU: its compute buffer grows (not modelled exactly): 5% of the device" "-ngl 1"
bounds "$w" --gpus 0 -c 4096
none "CPU, a wide FFN"
bounds "$narrow" --gpus 0 -c 1024
has "CPU " "narrow FFN"
has "a narrow FFN (n_ff < 2.5 * n_embd) fragments the compute buffer (not modelled exactly): 15% of compute" "narrow"

# md: each bound its own line, then the plan
run "$QB" mem -m "$w" --gpus 1 -c 32768 -ctk q8_0 -ctv q8_0 --no-dry-run
expect_out_has "+ 32.00 MiB bound on CUDA0: CUDA flash-attention scratch at n_kv >= 16k (not modelled exactly): 2 * n_ubatch * n_kv"
expect_out_has "+ 16.00 MiB bound on CUDA0: CUDA flash attention over a quantized cache converts K/V to f16 (not modelled exactly): 2 * n_kv * (n_embd_k + n_embd_v)"
expect_out_has "plan on CUDA0: "
# csv: a row per bound
run "$QB" mem -m "$w" --gpus 1 -c 32768 --no-dry-run -o csv
expect_out_has ",CUDA0,bound: CUDA flash-attention scratch at n_kv >= 16k (not modelled exactly): 2 * n_ubatch * n_kv,,,,,32.00,"

# --budget checks the plan: a budget between the estimate and the plan does not fit
run "$QB" mem -m "$w" --gpus 1 -c 32768 --no-dry-run -o json
est=$(json_get "$T/out" "[int(d['total']) for d in j['models'][0]['devices'] if d['device'] == 'CUDA0'][0]")
run "$QB" mem -m "$w" --gpus 1 -c 32768 --no-dry-run --budget $((est + 1048576))
expect_rc 5 "a budget over the estimate, under the plan"
expect_out_has "does NOT fit"
run "$QB" mem -m "$w" --gpus 1 -c 32768 --no-dry-run --budget $((est + 34 * 1048576))
expect_rc 0 "a budget over the plan"
exit 0
