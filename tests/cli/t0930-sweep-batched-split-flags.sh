# sweep and batched take bench's -dev, -mg, -sm, -ts: the rows carry them as bench's do, the
# worker loads with them (an unknown device fails the load), bad values give bench's errors
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
split="-dev none -sm none -mg 0 -ts 1"
run "$QB" sweep -m "$m" -c 128 -ub 64 -b 64 -n 4 -t 1 $split -o json
expect_rc 0
[ "$(json_get "$T/out" "sorted({(r['split_mode'], r['main_gpu'], r['tensor_split'], r['devices'], r['status']) for r in j})")" = "[('none', 0, '1.00', 'none', 'ok')]" ] ||
    fail "sweep rows: $(cat "$T/out")"
run "$QB" batched -m "$m" -c 128 -b 64 -ub 64 -npp 8 -ntg 2 -npl 1,2 -t 1 $split -o jsonl
expect_rc 0
python3 - "$T/out" <<'PY' || fail "batched rows"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 2, rows
for r in rows:
    got = (r['split_mode'], r['main_gpu'], r['tensor_split'], r['devices'], r['status'])
    assert got == ('none', 0, '1.00', 'none', 'ok'), got
PY
# as bench writes them: the same values under the same names
run "$QB" bench -m "$m" -p 8 -n 0 -r 1 -t 1 $split -o json
expect_rc 0
[ "$(json_get "$T/out" "(j[0]['split_mode'], j[0]['main_gpu'], j[0]['tensor_split'], j[0]['devices'])")" = "('none', 0, '1.00', 'none')" ] ||
    fail "bench row: $(cat "$T/out")"
# defaults, and a proportion list as llama-bench prints it
run "$QB" sweep -m "$m" -c 64 -ub 64 -b 64 -n 4 -t 1 -ts 3/1 -sm layer -o json
expect_rc 0
[ "$(json_get "$T/out" "(j[0]['split_mode'], j[0]['main_gpu'], j[0]['tensor_split'], j[0]['devices'])")" = "('layer', 0, '3.00/1.00', 'auto')" ] ||
    fail "sweep defaults: $(cat "$T/out")"
# the worker loads with them: a device this machine lacks fails the load, as in bench
run "$QB" sweep -m "$m" -c 64 -ub 64 -b 64 -n 4 -t 1 --device NOPE0 -o json
expect_rc 1
[ "$(json_get "$T/out" "(j[0]['status'], j[0]['error'], j[0]['devices'])")" = "('load_failed', \"unknown or non-offload device 'NOPE0'\", 'NOPE0')" ] ||
    fail "sweep -dev NOPE0: $(cat "$T/out")"
run "$QB" batched -m "$m" -c 64 -npp 8 -ntg 2 -t 1 -dev NOPE0 -o json
expect_rc 1
[ "$(json_get "$T/out" "(j[0]['status'], j[0]['error'])")" = "('load_failed', \"unknown or non-offload device 'NOPE0'\")" ] ||
    fail "batched -dev NOPE0: $(cat "$T/out")"
# help lists them
for c in sweep batched; do
    run "$QB" $c --help
    expect_rc 0
    expect_out_has "  -sm, --split-mode M         none, layer, row or tensor [layer]"
    expect_out_has "  -mg, --main-gpu I           GPU for split mode none [0]"
    expect_out_has "  -ts, --tensor-split A/B/..  proportions per GPU [0]"
    expect_out_has "  -dev, --device D0/D1/..     devices to offload to, none, or auto [auto]"
done
# quality names the shared flags it takes from the same table, the new ones among them
run "$QB" quality --help
expect_rc 0
expect_out_has "  (and -m -ub -t -ngl -ncmoe -ot -fa -ctk -ctv -nkvo -sm -mg -ts -dev -lm"
# bad values: bench's errors, word for word
long=$(printf 'a%.0s' $(seq 300))
chk() {
    local want=$1; shift
    for c in bench sweep batched; do
        run "$QB" $c -m "$m" "$@"
        expect_rc 2 "$c $*"
        expect_err "quantbench $c: $want; try 'quantbench $c --help'"
    done
}
chk "invalid value 'foo' for -sm" -sm foo
chk "invalid value 'bogus' for --split-mode" --split-mode bogus
chk "invalid value '16' for -mg (expected an integer in 0..15)" -mg 16
chk "invalid value 'x' for --main-gpu (expected an integer in 0..15)" --main-gpu x
chk "invalid value '1/x' for -ts (expected proportions like 3/1, at most 16)" -ts 1/x
chk "invalid value '1/-1' for -ts (expected proportions like 3/1, at most 16)" --tensor-split 1/-1
chk "invalid value '1/1/1/1/1/1/1/1/1/1/1/1/1/1/1/1/1' for -ts (expected proportions like 3/1, at most 16)" \
    -ts 1/1/1/1/1/1/1/1/1/1/1/1/1/1/1/1/1
chk "value for -dev is too long" -dev "$long"
chk "-dev needs a value" -dev
