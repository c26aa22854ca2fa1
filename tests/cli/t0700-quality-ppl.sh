# quality: perplexity equal to llama-perplexity's on the same build, model, text, -c and -b
# (one chunk per decode, four chunks per decode, a chunk in two decodes), PPL error too
. "$(dirname "$0")/lib.sh"
need_llama_tool llama-perplexity
m="$MODELS/ctxmax.gguf"
[ -f "$m" ] || "$QB" synth -o "$m" --layers 4 --embd 256 --heads 4 --kv-heads 4 --ff 768 \
    --ctx 8192 --type Q8_0 --seed 5 >&2 || fail "synth"
text=/usr/share/common-licenses/GPL-3 # Debian's base-files
[ -f "$text" ] || { echo "no $text"; exit 77; }
for b in 128 512 64; do
    ref_run "ref$b.log" "ref$b.log" "grep -q 'Final estimate' ref$b.log" \
        "$LLAMA_BINDIR/llama-perplexity" -m "$m" -f "$text" -c 128 -b "$b" --chunks 6 -t 2 ||
        { tail -5 "ref$b.log" >&2; fail "llama-perplexity -b $b"; }
    run "$QB" quality -m "$m" -f "$text" -c 128 -b "$b" --chunks 6 -t 2 -o json
    expect_rc 0 "quality -b $b"
    python3 - "ref$b.log" "$T/out" "$b" <<'PY' || fail "PPL differs from llama-perplexity at -b $3"
import json, re, sys
log = open(sys.argv[1]).read()
ppl, err = map(float, re.search(r'Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)', log).groups())
chunks = [float(x) for x in re.findall(r'\[\d+\]([0-9.]+),', log)]
r = json.load(open(sys.argv[2]))[0]
def same(a, b):  # 4 significant digits (and more: the method is the same)
    return abs(a - b) <= 5e-5 * abs(b)
assert same(r['ppl'], ppl) and same(r['ppl_err'], err), (r['ppl'], ppl, r['ppl_err'], err)
assert len(r['chunk_ppl']) == len(chunks) == 6
assert all(same(a, b) for a, b in zip(r['chunk_ppl'], chunks)), (r['chunk_ppl'], chunks)
assert r['count'] == 6 * 63 and r['n_seq'] == (4 if sys.argv[3] == '512' else 1)
PY
done
# md: PPL ± error
run "$QB" quality -m "$m" -f "$text" -c 128 --chunks 2 -t 2
expect_rc 0
expect_out_has "| tokens scored |"
# bad input
printf 'too short for two chunks of 128 tokens' >short.txt
run "$QB" quality -m "$m" -f short.txt -c 128 -t 2
expect_rc 3
expect_err "quantbench: error: 'short.txt': the text tokenizes to 13 tokens; perplexity with -c 128 needs at least 256 (two chunks)"
run "$QB" quality -m "$m" -f nope.txt
expect_rc 3
expect_err "quantbench: error: cannot open 'nope.txt': No such file or directory"
run "$QB" quality -m "$m"
expect_rc 2
expect_err "quantbench quality: missing -f TEXT (or --base FILE); try 'quantbench quality --help'"
run "$QB" quality -m "$m" -f "$text" --chunks 0
expect_rc 2
expect_err "quantbench quality: invalid value '0' for --chunks (expected an integer in 1..16777216); try 'quantbench quality --help'"
