# prompts -m: the five built-in prompts answered by a synthesized model (random weights:
# nonsense, but the same nonsense every time), every timing field present and consistent,
# --stream's tokens on stderr, a prompt longer than -c a row with status error while the
# rest run, a worker that dies at one prompt, --stop and --system on the real engine, the
# rows stored, and exact errors for bad flags
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
ids='["explain-sky", "arith-mul", "word-muffins", "code-factorial", "logic-pets"]'
run "$QB" prompts -m "$m" -c 512 -t 1 --max-tokens 16 -o jsonl --stream
expect_rc 0
cp "$T/out" a.jsonl
cp "$T/err" a.err
python3 - a.jsonl a.err "$ids" <<'PY' || fail "prompts rows"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
err = open(sys.argv[2], encoding='utf-8').read()
assert [r['id'] for r in rows] == json.loads(sys.argv[3]), [r['id'] for r in rows]
for r in rows:
    assert r['status'] == 'ok' and r['error'] == '', r
    assert r['stop_reason'] in ('eog', 'stop', 'length'), r['stop_reason']
    assert 1 <= r['n_gen_tokens'] <= 16 and r['n_prompt_tokens'] > 20
    assert r['chat_template'] == 'chatml-none' and r['system'] == '' and r['prompt']
    assert r['max_tokens'] == 16 and r['temp'] == 0 and r['n_ctx'] == 512 and r['stop'] == []
    for k in ('ttft_ms', 'gen_ms', 'total_ms', 'gen_tps', 'prompt_tps'):
        assert isinstance(r[k], (int, float)) and r[k] > 0, (k, r[k])
    assert r['ttft_ms'] < 60000 and r['gen_ms'] < 60000
    assert abs(r['total_ms'] - r['ttft_ms'] - r['gen_ms']) < 1e-6, r
    # llama-server's rates: the tokens after the first over the time after it
    assert abs(r['gen_tps'] - (r['n_gen_tokens'] - 1) / r['gen_ms'] * 1e3) < 1e-6 * r['gen_tps']
    assert abs(r['prompt_tps'] - r['n_prompt_tokens'] / r['ttft_ms'] * 1e3) < 1e-6 * r['prompt_tps']
    assert r['build_commit'] and r['model_n_params'] > 0 and r['mem_weights_bytes'] > 0
    # random weights answer nonsense: graded, and failed (the grader and its version kept)
    assert r['grade'] in ('fail', 'incomplete'), (r['id'], r['grade'], r['grade_detail'])
    assert r['grade_score'] < 1 and r['grader'] and r['grader_version'] >= 1, r
    # the tokens streamed on stderr under the prompt's header (where the text prints as is)
    assert '--- %s ---\n' % r['id'] in err, r['id']
    if all(c.isprintable() or c in '\n\t' for c in r['text']):
        assert '--- %s ---\n%s\n' % (r['id'], r['text']) in err, (r['id'], r['text'])
# one context for all: made and warmed up for the first prompt
assert rows[0]['warmup_ns'] > 0 and rows[0]['ctx_ns'] > 0
assert all(r['warmup_ns'] == 0 and r['ctx_ns'] == 0 for r in rows[1:])
PY
# greedy: the same answers again (no --stream, no progress: stderr empty)
run "$QB" prompts -m "$m" -c 512 -t 1 --max-tokens 16 -o jsonl
expect_rc 0
[ -s "$T/err" ] && { cat "$T/err"; fail "stderr without --stream"; }
python3 - a.jsonl "$T/out" <<'PY' || fail "greedy twice"
import json, sys
a, b = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
assert [r['text'] for r in a] == [r['text'] for r in b]
assert [r['n_gen_tokens'] for r in a] == [r['n_gen_tokens'] for r in b]
PY
# the rows are stored (kind prompts)
run "$QB" report -o jsonl kind=prompts
[ "$rc" -eq 0 ] && [ "$(grep -c '"kind":"prompts"' "$T/out")" = 10 ] || { cat "$T/out" "$T/err"; fail "stored rows"; }

# a prompt longer than -c: the longest one, a row with status error; the rest answered
longest=$(python3 -c "
import json, sys
rows = [json.loads(l) for l in open('a.jsonl')]
n = sorted(r['n_prompt_tokens'] for r in rows)
assert n[-1] > n[-2]
r = max(rows, key=lambda r: r['n_prompt_tokens'])
print(r['id'], r['n_prompt_tokens'])")
set -- $longest
long_id=$1 long_n=$2
run "$QB" prompts -m "$m" -c "$long_n" -t 1 --max-tokens 16 -o json
expect_rc 4 "a prompt too long"
expect_err "quantbench: error: prompt '$long_id' of '$m': error: the prompt of $long_n tokens does not fit the context of $long_n (-c)"
python3 - "$T/out" "$long_id" "$long_n" <<'PY' || fail "too long row"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 5
for r in rows:
    if r['id'] == sys.argv[2]:
        assert r['status'] == 'error' and r['stop_reason'] == 'error' and r['text'] == ''
        assert r['error'] == 'the prompt of %s tokens does not fit the context of %s (-c)' % (sys.argv[3], sys.argv[3])
        assert r['n_prompt_tokens'] == 0 and r['n_gen_tokens'] == 0
    else:
        assert r['status'] == 'ok' and r['n_gen_tokens'] >= 1, r
PY
# md: the failed one's status in the stop column, its error as the text
run "$QB" prompts -m "$m" -c "$long_n" -t 1 --max-tokens 4
expect_rc 4
head -1 "$T/out" | grep -qF '| id         | prompt tokens |    TTFT ms |   gen t/s | tokens | stop     | grade      | text ' || { head -2 "$T/out"; fail "md header"; }
grep -qE "^\| $long_id +\| +0 \| +- \| +- \| +0 \| error +\| fail +\| the prompt of $long_n tokens does not fit" "$T/out" || { cat "$T/out"; fail "md error row"; }
[ "$(grep -cE '^\| [a-z-]+ +\| +[0-9]+ \| +[0-9.]+ \| +[0-9.]+ \| +[0-9]+ \| (eog|stop|length) +\| (fail|incomplete) ' "$T/out")" = 4 ] || { cat "$T/out"; fail "md rows"; }

# a worker that dies at a prompt: that row crashed, the rest in a fresh worker
QB_TEST_FAULT_PROMPT='sky is blue' run "$QB" prompts -m "$m" -c 512 -t 1 --max-tokens 4 -o jsonl
expect_rc 4 "a worker died"
python3 - "$T/out" <<'PY' || fail "crashed row"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows[0]['id'] == 'explain-sky' and rows[0]['status'] == 'crashed', rows[0]
assert 'SIGSEGV' in rows[0]['error'], rows[0]['error']
assert all(r['status'] == 'ok' for r in rows[1:])
assert rows[1]['warmup_ns'] > 0 # the fresh worker's context
PY

# --stop: a piece of a greedy answer ends it right before; --system lengthens every prompt
stop=$(python3 -c "
import json
r = [json.loads(l) for l in open('a.jsonl')][0]
t = r['text']
for i in range(3, len(t) - 3):
    s = t[i:i + 3]
    if t.find(s) == i and s.isprintable() and s.strip() == s and '\ufffd' not in s and '-' not in s[0]:
        print(i, s)
        break")
[ -n "$stop" ] || fail "no stop string in the first answer"
stop_at=${stop%% *} stop_s=${stop#* }
run "$QB" prompts -m "$m" -c 512 -t 1 --max-tokens 16 -o jsonl --stop "$stop_s" --stop '@@never@@' \
    --system "Be brief."
expect_rc 0
cp "$T/out" s.jsonl
python3 - a.jsonl s.jsonl "$stop_at" "$stop_s" <<'PY' || fail "--stop / --system"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
s = [json.loads(l) for l in open(sys.argv[2])]
for x, y in zip(a, s):
    assert y['system'] == 'Be brief.' and y['n_prompt_tokens'] > x['n_prompt_tokens']
    assert y['stop'] == [sys.argv[4], '@@never@@']
PY
run "$QB" prompts -m "$m" -c 512 -t 1 --max-tokens 16 -o jsonl --stop "$stop_s"
expect_rc 0
python3 - a.jsonl "$T/out" "$stop_at" <<'PY' || fail "--stop"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
i = int(sys.argv[3])
assert b[0]['text'] == a[0]['text'][:i], (b[0]['text'], a[0]['text'], i)
assert b[0]['stop_reason'] == 'stop' and b[0]['n_gen_tokens'] <= a[0]['n_gen_tokens']
PY

# the model's own chat template (llama.cpp knows llama3's), and one it does not know:
# chatml then, as for a model without one, the rows saying which
"$QB" synth -o l3.gguf --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --seed 7 \
    --chat-template llama3 || fail "synth llama3"
"$QB" synth -o unk.gguf --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --seed 7 \
    --chat-template '{{ not one llama.cpp knows }}' || fail "synth unknown template"
run "$QB" prompts -m l3.gguf -m unk.gguf -c 512 -t 1 --max-tokens 2 -o jsonl
expect_rc 0
python3 - a.jsonl "$T/out" <<'PY' || fail "chat templates"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
l3, unk = b[:5], b[5:]
assert all(r['chat_template'] == 'model' and r['model_filename'] == 'l3.gguf' for r in l3)
assert all(r['chat_template'] == 'chatml-unsupported' for r in unk)
# llama3's headers are not chatml's: other prompts; the unknown one falls back to chatml's
assert all(x['n_prompt_tokens'] != y['n_prompt_tokens'] for x, y in zip(a, l3))
assert [x['n_prompt_tokens'] for x in a] == [y['n_prompt_tokens'] for y in unk]
PY

# --temp: drawn with llama.cpp's chain, the same seed the same answers, another seed others
for s in 5 5 6; do
    run "$QB" prompts -m "$m" -c 512 -t 1 --max-tokens 12 -o jsonl --temp 1.5 --top-k 0 \
        --top-p 1 --seed $s
    expect_rc 0 "--temp"
    cp "$T/out" temp$s.$(ls temp$s.* 2>/dev/null | wc -l)
done
python3 - a.jsonl temp5.0 temp5.1 temp6.0 <<'PY' || fail "--temp"
import json, sys
g, a, b, c = ([json.loads(l) for l in open(p)] for p in sys.argv[1:5])
text = lambda rows: [r['text'] for r in rows]
assert text(a) == text(b)
assert text(a) != text(c) and text(a) != text(g)
assert a[0]['temp'] == 1.5 and a[0]['top_k'] == 0 and a[0]['top_p'] == 1 and a[0]['seed'] == 5
PY

# bad flags
chk() { local want=$1; shift; run "$QB" prompts "$@"; expect_rc 2 "$*"; expect_err "quantbench prompts: $want; try 'quantbench prompts --help'"; }
chk "missing -m MODEL" -c 256
chk "invalid value '-1' for --temp (expected a number in 0..100)" -m "$m" --temp -1
chk "invalid value '0' for --max-tokens (expected an integer in 1..16777216)" -m "$m" --max-tokens 0
chk "invalid value '1.5' for --top-p (expected a number in 0..1)" -m "$m" --top-p 1.5
chk "invalid value '' for --stop (expected a non-empty string)" -m "$m" --stop ''
chk "--stop given more than 4 times" -m "$m" --stop a --stop b --stop c --stop d --stop e
chk "-r does not apply: each prompt is answered once" -m "$m" -r 3
chk "--system needs a value" -m "$m" --system
chk "unknown flag '--bogus'" -m "$m" --bogus
chk "invalid output format 'sql' (md, csv, json, jsonl)" -m "$m" -o sql
run "$QB" prompts -m missing.gguf
expect_rc 3
expect_err "quantbench: error: cannot open 'missing.gguf': No such file or directory"
run "$QB" prompts --help
expect_rc 0
expect_out_has "  --max-tokens N"
expect_out_has "  --stream "
exit 0
