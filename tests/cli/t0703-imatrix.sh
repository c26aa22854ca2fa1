# quantize --imatrix-from: our importance matrix is llama-imatrix's file byte for byte (dense,
# MoE, --process-output); --imatrix FILE (its GGUF and legacy .dat formats) quantizes byte for byte as
# llama-quantize --imatrix; the matrix is part of a rung's identity; bad matrices are refused
. "$(dirname "$0")/lib.sh"
need_llama_tool llama-imatrix
need_llama_tool llama-quantize
text=/usr/share/common-licenses/GPL-3
[ -f "$text" ] || { echo "no $text"; exit 77; }
"$QB" synth -o src-F16.gguf --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 2048 \
    --type F16 --seed 41 >&2 || fail "synth dense"
"$QB" synth -o moe-F16.gguf --layers 2 --embd 256 --heads 4 --kv-heads 4 --ff 256 --experts 4 \
    --experts-used 2 --ctx 2048 --type F16 --seed 8 >&2 || fail "synth moe"
li() { "$LLAMA_BINDIR/llama-imatrix" -t 2 "$@" >>li.log 2>&1 || fail "llama-imatrix $*"; }
lq() { "$LLAMA_BINDIR/llama-quantize" "$@" >>lq.log 2>&1 || fail "llama-quantize $*"; }
li -m src-F16.gguf -f "$text" -c 128 --chunks 6 -o ref-dense.gguf
li -m moe-F16.gguf -f "$text" -c 256 --chunks 3 -o ref-moe.gguf
li -m moe-F16.gguf -f "$text" -c 256 --chunks 3 -o ref-moe.dat --output-format dat
# --imatrix-from = llama-imatrix
run "$QB" quantize -m src-F16.gguf --types Q4_K_M -o d --imatrix-from "$text" -c 128 --chunks 6 -t 2
expect_rc 0
expect_err_has "importance matrix 'd/src.imatrix.gguf' from '$text': 6 chunks of 128, PPL"
cmp ref-dense.gguf d/src.imatrix.gguf || fail "dense importance matrix differs from llama-imatrix's"
run "$QB" quantize -m moe-F16.gguf --types Q4_K_M -o m --imatrix-from "$text" -c 256 --chunks 3 -t 2
expect_rc 0
cmp ref-moe.gguf m/moe.imatrix.gguf || fail "MoE importance matrix differs from llama-imatrix's"
li -m src-F16.gguf -f "$text" -c 128 --chunks 4 -o ref-out.gguf --process-output
run "$QB" quantize -m src-F16.gguf --types Q8_0 -o o --imatrix-from "$text" -c 128 --chunks 4 --process-output -t 2
expect_rc 0
cmp ref-out.gguf o/src.imatrix.gguf || fail "--process-output differs from llama-imatrix's"
python3 -c "import sys,struct; n=b'output.weight.in_sum2'; sys.exit(struct.pack('<Q', len(n)) + n not in open('o/src.imatrix.gguf','rb').read())" ||
    fail "--process-output: no output.weight entry"
# info shows a matrix: every dense weight saw every token (6 chunks of 128), the experts
# of a layer together saw each token twice (2 of 4 used)
"$QB" info d/src.imatrix.gguf -o json >id.json || fail "info dense matrix"
"$QB" info m/moe.imatrix.gguf -o json >im.json || fail "info MoE matrix"
"$QB" info ref-moe.dat -o json >idat.json || fail "info .dat matrix"
python3 - id.json im.json idat.json <<'PY' || fail "info on importance matrices"
import json, sys
d, m, l = (json.load(open(f)) for f in sys.argv[1:4])
assert d['kind'] == 'imatrix' and d['format'] == 'gguf' and d['n_entries'] == 14, d
assert d['chunk_count'] == 6 and d['chunk_size'] == 128 and d['datasets'][0].endswith('GPL-3')
assert all(e['tokens'] == 768 and e['n_matrices'] == 1 for e in d['entries']), d['entries']
exps = [e for e in m['entries'] if '_exps' in e['name']]
assert exps and all(e['n_matrices'] == 4 and e['tokens'] == 3 * 256 * 2 for e in exps), exps
assert l['format'] == 'legacy' and l['n_entries'] == m['n_entries'], l
PY
ls d/*.tmp.* m/*.tmp.* 2>/dev/null && fail "temporary files left"
# the rung made with it = llama-quantize's with llama-imatrix's matrix (the recorded file
# name aside: quantize.imatrix.file is the path given, so give the same one)
cp d/src.imatrix.gguf mat.gguf
lq --imatrix mat.gguf src-F16.gguf ref-q4.gguf Q4_K_M 2
run "$QB" quantize -m src-F16.gguf --types Q4_K_M -o d2 --imatrix mat.gguf -t 2 --format jsonl
expect_rc 0
cmp ref-q4.gguf d2/src-Q4_K_M.gguf || fail "Q4_K_M with --imatrix differs from llama-quantize's"
lq src-F16.gguf plain-q4.gguf Q4_K_M 2
cmp -s plain-q4.gguf ref-q4.gguf && fail "the importance matrix changed nothing"
"$QB" info d2/src-Q4_K_M.gguf -o json >info.json || fail "info"
python3 - info.json <<'PY' || fail "quantize.imatrix metadata"
import json, sys
m = json.load(open(sys.argv[1]))['imatrix']
assert m['file'] == 'mat.gguf' and m['dataset'].endswith('GPL-3'), m
assert m['chunks'] == 6 and m['entries'] == 14, m
PY
# the legacy format, on the MoE model (one count for all experts)
cp ref-moe.dat mat.dat
lq --imatrix mat.dat moe-F16.gguf ref-moe-q4.gguf Q4_K_M 2
run "$QB" quantize -m moe-F16.gguf --types Q4_K_M -o m2 --imatrix mat.dat -t 2
expect_rc 0
cmp ref-moe-q4.gguf m2/moe-Q4_K_M.gguf || fail "Q4_K_M with a .dat matrix differs from llama-quantize's"
# re-runs: the matrix is reused, the rung skipped; another matrix redoes the rung
run "$QB" quantize -m src-F16.gguf --types Q4_K_M -o d --imatrix-from "$text" -c 128 --chunks 6 -t 2 --format jsonl
expect_rc 0
expect_err_has "importance matrix 'd/src.imatrix.gguf' is up to date"
grep -q '"action":"skipped"' "$T/out" || fail "the rung was not skipped"
run "$QB" quantize -m src-F16.gguf --types Q4_K_M -o d --imatrix-from "$text" -c 128 --chunks 5 -t 2 --format jsonl
expect_rc 0
grep -q '"action":"made"' "$T/out" || fail "a rung with another matrix was skipped"
run "$QB" quantize -m src-F16.gguf --types Q4_K_M -o d -t 2 --format jsonl
grep -q '"action":"made"' "$T/out" || fail "a rung without the matrix was skipped"
# bad input
run "$QB" quantize -m moe-F16.gguf --types Q4_K_M -o x --imatrix mat.gguf
expect_rc 3
expect_err "quantbench: error: 'mat.gguf' is not an importance matrix of 'moe-F16.gguf': the model has no tensor 'blk.0.ffn_down.weight'"
head -c 3000 mat.gguf >trunc.gguf
run "$QB" quantize -m src-F16.gguf --types Q4_K_M -o x --imatrix trunc.gguf
expect_rc 3
expect_err "quantbench: error: 'trunc.gguf': truncated GGUF: tensor 'blk.0.attn_output.weight.in_sum2' data ends at byte 3968, the file has 3000"
head -c 1000 mat.dat >trunc.dat
run "$QB" quantize -m moe-F16.gguf --types Q4_K_M -o x --imatrix trunc.dat
expect_rc 3
expect_err_has "quantbench: error: 'trunc.dat' is truncated or corrupt: entry 1 ('blk."
run "$QB" quantize -m src-F16.gguf --types Q4_K_M -o x --imatrix "$text"
expect_rc 3
expect_err "quantbench: error: '$text' is not an importance matrix (neither GGUF nor llama-imatrix's legacy format)"
run "$QB" quantize -m src-F16.gguf --types Q4_K_M -o x --imatrix src-F16.gguf
expect_rc 3
expect_err "quantbench: error: 'src-F16.gguf' is not an importance matrix (no .in_sum2 tensors)"
run "$QB" quantize -m src-F16.gguf --types Q4_K_M -o x --imatrix mat.gguf --imatrix-from "$text"
expect_rc 2
expect_err "quantbench quantize: --imatrix and --imatrix-from exclude each other; try 'quantbench quantize --help'"
printf 'a short text' >short.txt
run "$QB" quantize -m src-F16.gguf --types Q4_K_M -o x --imatrix-from short.txt
expect_rc 3
expect_err_has "quantbench: error: 'short.txt': the text tokenizes to"
run "$QB" quantize -m src-F16.gguf --types Q4_K_M -o x --imatrix-from nope.txt
expect_rc 3
expect_err "quantbench: error: cannot open 'nope.txt': No such file or directory"
[ -z "$(ls x 2>/dev/null)" ] || { ls x; fail "a refused run left files"; }
