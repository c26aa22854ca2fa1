# quality --save-base / --base: the base log-probability file is llama-perplexity's format
# (byte-identical to the one it writes), each tool reads the other's, and the
# KL-divergence statistics equal llama-perplexity --kl-divergence's; bad base files
. "$(dirname "$0")/lib.sh"
need_llama_tool llama-perplexity
text=/usr/share/common-licenses/GPL-3
[ -f "$text" ] || { echo "no $text"; exit 77; }
shape=(--layers 4 --embd 256 --heads 4 --kv-heads 4 --ff 768 --ctx 8192 --seed 5)
f16="$MODELS/kld-f16.gguf" q4="$MODELS/kld-q4.gguf"
[ -f "$f16" ] || "$QB" synth -o "$f16" "${shape[@]}" --type F16 >&2 || fail "synth f16"
[ -f "$q4" ] || "$QB" synth -o "$q4" "${shape[@]}" --type Q4_K_M >&2 || fail "synth q4"
lp() { "$LLAMA_BINDIR/llama-perplexity" -t 2 "$@"; }
lp -m "$f16" -f "$text" -c 128 -b 128 --chunks 8 --kl-divergence-base llama.bin >l1.log 2>&1 ||
    fail "llama-perplexity base"
run "$QB" quality -m "$f16" -f "$text" -c 128 -b 128 --chunks 8 --save-base ours.bin -t 2
expect_rc 0
cmp llama.bin ours.bin || fail "our base file differs from llama-perplexity's"
ls ours.bin.tmp.* 2>/dev/null && fail "temporary file left behind"
# each tool reads the other's file
ref_run l2.log l2.log "grep -q '^Same top p:' l2.log" \
    "$LLAMA_BINDIR/llama-perplexity" -t 2 -m "$q4" -c 128 -b 128 --kl-divergence-base ours.bin --kl-divergence ||
    fail "llama-perplexity --kl-divergence"
run "$QB" quality -m "$q4" --base llama.bin -b 128 -t 2 -o json
expect_rc 0
cp "$T/out" k.json
python3 - l2.log k.json <<'PY' || fail "KLD statistics differ from llama-perplexity's"
import json, re, sys
log = open(sys.argv[1]).read()
k = json.load(open(sys.argv[2]))[0]['kld']
def num(label):
    m = re.search(re.escape(label) + r'\s*:\s*(-?[0-9.]+)(?:%)?(?:\s*±\s*(-?[0-9.]+))?', log)
    assert m, label
    return m.group(1), m.group(2)
def same(a, text, what):  # 3 significant digits, or equal at the printed precision
    b = float(text)
    half_unit = 0.5 * 10 ** -len(text.split('.')[1]) if '.' in text else 0.5
    assert abs(a - b) <= max(5e-4 * abs(b), half_unit * 1.001), (what, a, b)
pairs = [('Mean PPL(Q)', 'ppl', 1), ('Mean PPL(base)', 'ppl_base', 1),
         ('Mean ln(PPL(Q)/PPL(base))', 'ln_ratio', 1), ('Mean PPL(Q)/PPL(base)', 'ratio', 1),
         ('Mean PPL(Q)-PPL(base)', 'diff', 1), ('Mean    KLD', 'kld', 1),
         ('RMS Δp', 'rms_dp', 100), ('Same top p', 'same_top', 100)]
for label, key, scale in pairs:
    v, e = num(label)
    same(scale * k[key], v, label)
    if e is not None:
        same(scale * k[key + '_err'], e, label + ' ±')
same(100 * k['cor'], num('Cor(ln(PPL(Q)), ln(PPL(base)))')[0], 'cor')
for i, label in enumerate(['Maximum KLD', '99.9%   KLD', '99.0%   KLD', '95.0%   KLD', '90.0%   KLD',
                           'Median  KLD', '10.0%   KLD', ' 5.0%   KLD', ' 1.0%   KLD', ' 0.1%   KLD',
                           'Minimum KLD']):
    same(k['kld_percentiles'][i], num(label)[0], label)
for i, label in enumerate(['Maximum Δp', '99.9%   Δp', '99.0%   Δp', '95.0%   Δp', '90.0%   Δp',
                           '75.0%   Δp', 'Median  Δp', '25.0%   Δp', '10.0%   Δp', ' 5.0%   Δp',
                           ' 1.0%   Δp', ' 0.1%   Δp', 'Minimum Δp']):
    same(100 * k['dp_percentiles'][i], num(label)[0], label)
assert k['count'] == 8 * 63
PY
run "$QB" quality -m "$q4" --base ours.bin -b 128 -t 2
expect_rc 0
expect_out_has "| Mean KLD |"
expect_out_has "| Same top p |"
# the compact format: every statistic but KLD as from the full file, KLD a lower bound
run "$QB" quality -m "$f16" -f "$text" -c 128 -b 128 --chunks 8 --save-base top64.bin --compact 64 -t 2
expect_rc 0
[ "$(stat -c %s top64.bin)" = $((24 + 4 * 128 * 8 + 8 * 63 * 4 * (1 + 2 * 64))) ] || fail "compact size"
run "$QB" quality -m "$q4" --base top64.bin -b 128 -t 2 -o json
expect_rc 0
python3 - k.json "$T/out" <<'PY' || fail "compact vs full"
import json, sys
full = json.load(open(sys.argv[1]))[0]['kld']
top = json.load(open(sys.argv[2]))[0]['kld']
close = lambda a, b, r: abs(a - b) <= r * abs(b)
assert close(top['ppl'], full['ppl'], 1e-9) and close(top['ppl_base'], full['ppl_base'], 1e-5)
assert top['same_top'] == full['same_top'] and close(top['rms_dp'], full['rms_dp'], 1e-3)
assert 0 < top['kld'] <= full['kld'], (top['kld'], full['kld'])
PY
# bad base files: another vocabulary, another tokenizer, truncated, not a base file
python3 - <<'PY'
import struct
n_ctx, n_vocab, n_chunk = 8, 100, 1
nv = 2 * ((n_vocab + 1) // 2) + 4
rows = n_chunk * (n_ctx - 1 - n_ctx // 2)
with open('vocab100.bin', 'wb') as f:
    f.write(b'_logits_' + struct.pack('<Iii', n_ctx, n_vocab, n_chunk))
    f.write(struct.pack('<%di' % (n_ctx * n_chunk), *range(n_ctx * n_chunk)))
    f.write(b'\0' * (2 * rows * nv))
PY
run "$QB" quality -m "$q4" --base vocab100.bin
expect_rc 3
expect_err "quantbench: error: 'vocab100.bin' holds log-probabilities over 100 tokens, the vocabulary of '$q4' has 32000"
# as many tokens but another tokenizer's (every id but BOS moved): refused; a file whose last
# few tokens differ (a word cut at the end of the text) is still this tokenizer's
python3 - <<'PY'
import struct
b = bytearray(open('ours.bin', 'rb').read())
n_ctx, n_vocab, n_chunk = struct.unpack('<Iii', b[8:20])
n = n_ctx * n_chunk
toks = list(struct.unpack('<%di' % n, b[20:20 + 4 * n]))
other = toks[:1] + [(t + 7) % n_vocab for t in toks[1:]]
b[20:20 + 4 * n] = struct.pack('<%di' % n, *other)
open('other.bin', 'wb').write(b)
tail = toks[:-5] + [(t + 7) % n_vocab for t in toks[-5:]]
b[20:20 + 4 * n] = struct.pack('<%di' % n, *tail)
open('tail.bin', 'wb').write(b)
PY
run "$QB" quality -m "$q4" --base other.bin -b 128 -t 2
expect_rc 3
expect_err "quantbench: error: 'other.bin' comes from another model's tokenizer: its tokens are not what this model makes of their text (they differ from token 19 on)"
run "$QB" quality -m "$q4" --base tail.bin -b 128 -t 2
expect_rc 0
# the same tokenizer, another model: our base files carry the model's shape (FILE.model)
[ "$(head -1 ours.bin.model)" = "llama, 4 layers, 256 wide, 4 heads (4 kv), 32000 tokens" ] ||
    fail "ours.bin.model: $(cat ours.bin.model)"
"$QB" synth -o other.gguf --layers 2 --embd 256 --heads 4 --kv-heads 4 --ff 768 --ctx 8192 --seed 6 --type Q8_0 >&2 ||
    fail "synth other"
run "$QB" quality -m other.gguf --base ours.bin -b 128 -t 2
expect_rc 3
expect_err "quantbench: error: 'ours.bin' holds the log-probabilities of '$f16' (llama, 4 layers, 256 wide, 4 heads (4 kv), 32000 tokens); 'other.gguf' is llama, 2 layers, 256 wide, 4 heads (4 kv), 32000 tokens: not the same model"
head -c 100000 ours.bin >short.bin
run "$QB" quality -m "$q4" --base short.bin
expect_rc 3
expect_err "quantbench: error: 'short.bin' is truncated or corrupt: 100000 bytes, its header needs 32264148"
printf 'hello world, not logits' >text.bin
run "$QB" quality -m "$q4" --base text.bin
expect_rc 3
expect_err "quantbench: error: 'text.bin' is not a log-probability file (no '_logits_' or 'QBTOPK01' header)"
run "$QB" quality -m "$q4" --base ours.bin --save-base x.bin
expect_rc 2
expect_err "quantbench quality: --base and --save-base exclude each other; try 'quantbench quality --help'"
