# quantize: the ladder Q8_0, Q6_K, Q4_K_M, Q3_K_L from a synthesized F16 model, checked
# with info; a re-run skips every rung; a changed source redoes them; a crashing rung is a
# failed row with its reason and leaves nothing behind; an unknown type is refused
. "$(dirname "$0")/lib.sh"
shape=(--layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 2048 --type F16)
"$QB" synth -o src-F16.gguf "${shape[@]}" --seed 41 >&2 || fail "synth"
types=Q8_0,Q6_K,Q4_K_M,Q3_K_L
run "$QB" quantize -m src-F16.gguf --types $types -o ladder -t 2 --format jsonl
expect_rc 0
cp "$T/out" made.jsonl
for t in ${types//,/ }; do
    "$QB" info "ladder/src-$t.gguf" -o json >"info-$t.json" || fail "info $t"
done
python3 - made.jsonl <<'PY' || fail "ladder"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r['type'] for r in rows] == ['Q8_0', 'Q6_K', 'Q4_K_M', 'Q3_K_L'], rows
sizes = []
for r in rows:
    info = json.load(open('info-%s.json' % r['type']))
    assert r['action'] == 'made' and r['status'] == 'ok', r
    # where the row came from: the rung's file, the build that made it, the host
    assert r['model_filename'] == r['file'] and r['build_commit'] and r['llama_version'], r
    assert r['host'] and r['quantbench_version'], r
    assert info['file_type'] == r['type'] and info['file_type_id'] == r['ftype'], (info['file_type'], r)
    assert info['weights_bytes'] == r['size_bytes'] and info['n_params'] == r['n_params']
    sizes.append(r['size_bytes'])
assert sizes == sorted(sizes, reverse=True), sizes  # each rung smaller than the one above
PY
ls ladder/*.tmp.* 2>/dev/null && fail "temporary files left"
cp -p ladder/src-Q4_K_M.gguf before.gguf
run "$QB" quantize -m src-F16.gguf --types $types -o ladder -t 2 --format jsonl
expect_rc 0
[ "$(grep -c '"action":"skipped"' "$T/out")" = 4 ] || { cat "$T/out"; fail "re-run did not skip"; }
cmp before.gguf ladder/src-Q4_K_M.gguf || fail "a skipped rung changed"
# another source at the same path: every rung is made again
"$QB" synth -o src-F16.gguf "${shape[@]}" --seed 42 >&2 || fail "synth 2"
run "$QB" quantize -m src-F16.gguf --types Q8_0,Q4_K_M -o ladder -t 2 --format jsonl
expect_rc 0
[ "$(grep -c '"action":"made"' "$T/out")" = 2 ] || { cat "$T/out"; fail "a changed source was not redone"; }
# md
run "$QB" quantize -m src-F16.gguf --types Q8_0 -o ladder -t 2
expect_rc 0
expect_out_has "| Q8_0     | ladder/src-Q8_0.gguf"
# a rung whose worker dies
cp src-F16.gguf crashy-F16.gguf
QB_TEST_FAULT=segv:crashy run "$QB" quantize -m crashy-F16.gguf --types Q8_0,Q6_K -o ladder2 -t 2 --format jsonl
expect_rc 4
grep -q '"action":"failed"' "$T/out" || fail "no failed rung"
grep -q 'SIGSEGV' "$T/out" || fail "the reason is missing"
[ -z "$(ls ladder2)" ] || { ls ladder2; fail "a failed rung left files"; }
# bad input
run "$QB" quantize -m src-F16.gguf --types Q8_0,Q9_X -o ladder
expect_rc 2
expect_err "quantbench quantize: unknown quantization type 'Q9_X' (llama-quantize's names: Q8_0, Q6_K, Q5_K_M, Q4_K_M, Q3_K_L, IQ4_XS, ...); try 'quantbench quantize --help'"
run "$QB" quantize -m nope.gguf --types Q8_0 -o ladder
expect_rc 3
expect_err "quantbench: error: cannot open 'nope.gguf': No such file or directory"
run "$QB" quantize -m src-F16.gguf --types Q8_0
expect_rc 2
expect_err "quantbench quantize: missing -o DIR; try 'quantbench quantize --help'"
