# prompts --server: llama-server's answers to the built-in prompts are the local run's
# (greedy, the same model and build: the same prompt tokens, tokens and texts) with its
# own timings beside ours; a fake server (python3) that cuts a stream (chunked, or by
# closing the connection), answers HTTP 500, sends an error event mid-answer, answers
# without streaming, or never answers: those prompts are rows with their status and reason
# while the rest run, --timeout / --idle-timeout end the silence, SIGINT ends the wait; what
# the request carries (sampling, the model's name, the Bearer token of --api-key or
# $OPENAI_API_KEY); a server that is not there; bad URLs and flags
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sig.sh"
need_llama_tool llama-server
m=$(model_dense)
trap 'for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done' EXIT # the servers too

# ---- llama-server: the same answers as the local run
start_llama_server srv.log "$m" -c 512 -np 1 -t 1 --temp 0
srv=$SRV_PID
url=$SRV_URL

run "$QB" prompts --server "$url" --max-tokens 16 -o jsonl --stream
expect_rc 0 "--server llama-server"
cp "$T/out" s.jsonl
cp "$T/err" s.err
run "$QB" prompts -m "$m" -c 512 -t 1 --max-tokens 16 -o jsonl
expect_rc 0 "the local run"
cp "$T/out" l.jsonl
python3 - s.jsonl l.jsonl s.err "$url" <<'PY' || fail "server vs local"
import json, sys
s = [json.loads(l) for l in open(sys.argv[1])]
l = [json.loads(l) for l in open(sys.argv[2])]
err = open(sys.argv[3], encoding='utf-8').read()
url = sys.argv[4]
assert [r['id'] for r in s] == [r['id'] for r in l] == ['explain-sky', 'arith-mul', 'word-muffins', 'code-factorial', 'logic-pets']
for a, b in zip(s, l):
    assert a['status'] == 'ok' and a['error'] == '', a
    # graded as a local answer is: the same grade for the same text
    assert a['grade'] == b['grade'] and a['grader_version'] == b['grader_version'], (a['id'], a['grade'], b['grade'])
    for k in ('text', 'n_prompt_tokens', 'n_gen_tokens', 'stop_reason'):
        assert a[k] == b[k], (a['id'], k, a[k], b[k])
    # llama-server names the model by its -m
    assert a['chat_template'] == 'server' and a['model_filename'] == b['model_filename'], a
    assert a['server_url'] == url + '/v1/chat/completions' and a['server_finish_reason'] == 'length'
    assert a['server_fingerprint'] and a['model_id'] == '' and 'n_ctx' not in a and 'mem_kv_bytes' not in a
    # llama-server's own timings beside ours: the same counts; TTFT on our clock includes its
    # prompt_ms (and the HTTP around it)
    assert a['server_prompt_n'] == a['n_prompt_tokens'] and a['server_predicted_n'] == a['n_gen_tokens']
    assert 0 < a['server_prompt_ms'] < a['ttft_ms'] < 60000 and a['server_predicted_per_second'] > 0
    assert a['gen_ms'] > 0 and abs(a['total_ms'] - a['ttft_ms'] - a['gen_ms']) < 1e-6
    assert abs(a['gen_tps'] - (a['n_gen_tokens'] - 1) / a['gen_ms'] * 1e3) < 1e-6 * a['gen_tps']
    assert abs(a['prompt_tps'] - a['n_prompt_tokens'] / a['ttft_ms'] * 1e3) < 1e-6 * a['prompt_tps']
    assert a['max_tokens'] == 16 and a['temp'] == 0 and a['seed'] == 1 and a['stop'] == []
    assert '--- %s ---\n' % a['id'] in err
    if all(c.isprintable() or c in '\n\t' for c in a['text']):
        assert '--- %s ---\n%s\n' % (a['id'], a['text']) in err, a['id']
PY
# a system prompt: still the same answers
run "$QB" prompts --server "$url" --max-tokens 8 --system "Be brief." -o jsonl
expect_rc 0
cp "$T/out" s2.jsonl
run "$QB" prompts -m "$m" -c 512 -t 1 --max-tokens 8 --system "Be brief." -o jsonl
expect_rc 0
python3 - s2.jsonl "$T/out" <<'PY' || fail "--system"
import json, sys
s, l = ([json.loads(x) for x in open(p)] for p in sys.argv[1:3])
assert [(r['text'], r['n_prompt_tokens']) for r in s] == [(r['text'], r['n_prompt_tokens']) for r in l]
assert all(r['system'] == 'Be brief.' for r in s)
PY
# the rows are stored (kind prompts)
run "$QB" report -o jsonl kind=prompts
[ "$rc" -eq 0 ] && [ "$(grep -c '"chat_template":"server"' "$T/out")" = 10 ] || { cat "$T/err"; fail "stored rows"; }
kill -TERM "$srv"

# ---- a fake server: what each prompt gets is mode's (a file, read per request)
cat >fake.py <<'PY'
import http.server, json, socket, sys, time
port_file, mode_file, log_file = sys.argv[1:4]
def chunk(content=None, finish=None, **extra):
    d = {'choices': [{'index': 0, 'delta': {} if content is None else {'content': content},
                      'finish_reason': finish}], 'model': 'fake-model', 'object': 'chat.completion.chunk'}
    d.update(extra)
    return 'data: ' + json.dumps(d) + '\n\n'
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *a): pass
    def head(self, status=200, chunked=True, ctype='text/event-stream'):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        if chunked:
            self.send_header('Transfer-Encoding', 'chunked')
        else:
            self.send_header('Connection', 'close')
        self.end_headers()
    def put(self, s, chunked=True):
        b = s.encode()
        self.wfile.write(b'%x\r\n%s\r\n' % (len(b), b) if chunked else b)
        self.wfile.flush()
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
        with open(log_file, 'a') as f:
            f.write(json.dumps({'path': self.path, 'auth': self.headers.get('Authorization'),
                                'body': body}) + '\n')
        mode = open(mode_file).read().strip()
        prompt = body['messages'][-1]['content']
        words = prompt.split()[:3]
        if mode == 'silent':
            time.sleep(60)
            return
        if mode == 'half' and 'sky is blue' in prompt:  # chunked, cut after two tokens
            self.head()
            for w in words[:2]:
                self.put(chunk(w + ' '))
            self.close_connection = True
            return
        if mode == 'half' and '15' in prompt:  # delimited by the close, closed early
            self.head(chunked=False)
            for w in words[:2]:
                self.put(chunk(w + ' '), chunked=False)
            self.close_connection = True
            return
        if mode == 'errors' and 'muffins' in prompt:
            b = json.dumps({'error': {'code': 500, 'message': 'the slot failed\n', 'type': 'server_error'}}).encode()
            self.send_response(500)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(b)))
            self.end_headers()
            self.wfile.write(b)
            return
        if mode == 'errors' and 'Alice' in prompt:  # an answer, but not streamed
            b = json.dumps({'choices': [{'message': {'content': 'Bob'}, 'finish_reason': 'stop'}]}).encode()
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(b)))
            self.end_headers()
            self.wfile.write(b)
            return
        self.head()
        self.put(': ping\n\n' + chunk(None, None))  # a comment, a role-only chunk
        for w in words:
            self.put(chunk(w + ' '))
        if mode == 'errors' and 'factorial' in prompt:
            self.put('data: ' + json.dumps({'error': {'code': 500, 'message': 'out of memory'}}) + '\n\n')
        self.put(chunk(None, 'stop'))
        self.put(chunk(None, None, choices=[], usage={'prompt_tokens': len(prompt.split()),
                                                       'completion_tokens': len(words) + 1}))
        self.put('data: [DONE]\n\n')
        self.put('', True)  # the last chunk
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
s.daemon_threads = True
open(port_file + '.tmp', 'w').write(str(s.server_address[1]))
import os; os.rename(port_file + '.tmp', port_file)
s.serve_forever()
PY
echo ok >mode
python3 fake.py port mode req.log &
for i in $(seq 1 100); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || fail "the fake server did not start"
fake=http://127.0.0.1:$(cat port)

# every answer whole; the fake's words, counts and model; what the request carried
OPENAI_API_KEY=sekrit run "$QB" prompts --server "$fake/v1/" --max-tokens 7 --temp 0.5 --top-k 5 \
    --top-p 0.5 --seed 9 --stop END --system "Be brief." --model-name asked -o jsonl
expect_rc 0 "the fake, ok"
python3 - "$T/out" req.log <<'PY' || fail "fake ok"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
reqs = [json.loads(l) for l in open(sys.argv[2])]
assert len(rows) == 5 and len(reqs) == 5
for r, q in zip(rows, reqs):
    words = r['prompt'].split()[:3]
    assert r['status'] == 'ok' and r['text'] == ''.join(w + ' ' for w in words), r
    assert r['n_gen_tokens'] == 4 and r['n_prompt_tokens'] == len(r['prompt'].split())
    assert r['stop_reason'] == 'stop' and r['server_finish_reason'] == 'stop'  # with --stop: either
    assert r['model_filename'] == 'fake-model' and 'server_prompt_ms' not in r
    assert q['path'] == '/v1/chat/completions' and q['auth'] == 'Bearer sekrit'
    b = q['body']
    assert b['messages'] == [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': r['prompt']}]
    assert b['model'] == 'asked' and b['stream'] is True and b['stream_options'] == {'include_usage': True}
    assert (b['max_tokens'], b['temperature'], b['top_k'], b['top_p'], b['seed']) == (7, 0.5, 5, 0.5, 9)
    assert b['stop'] == ['END'] and b['min_p'] == 0 and b['cache_prompt'] is False
PY
: >req.log
OPENAI_API_KEY=sekrit run "$QB" prompts --server "$fake" --api-key other --max-tokens 7 -o jsonl
expect_rc 0
python3 -c "
import json
q = [json.loads(l) for l in open('req.log')]
assert all(x['auth'] == 'Bearer other' and 'model' not in x['body'] and x['body']['temperature'] == 0 for x in q), q
r = [json.loads(l) for l in open('$T/out')]
assert all(x['stop_reason'] == 'eog' for x in r)  # finish_reason stop without --stop strings
" || fail "--api-key"
: >req.log
OPENAI_API_KEY= run "$QB" prompts --server "$fake" --max-tokens 7 -o jsonl
python3 -c "
import json
assert all(json.loads(l)['auth'] is None for l in open('req.log'))" || fail "no key"

# half a stream: chunked and cut, or closed early; those rows error with the reason, the rest run
echo half >mode
run "$QB" prompts --server "$fake" --max-tokens 7 -o jsonl --stream
expect_rc 4 "half a stream"
python3 - "$T/out" "$fake/v1/chat/completions" <<'PY' || fail "half rows"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
u = sys.argv[2]
assert [r['status'] for r in rows] == ['error', 'error', 'ok', 'ok', 'ok'], rows
assert rows[0]['error'] == "'%s': transfer closed with outstanding read data remaining" % u, rows[0]['error']
assert rows[1]['error'] == "'%s': the answer ended before its end (the connection closed; 2 events, no finish_reason, no [DONE])" % u, rows[1]['error']
for r in rows[:2]:
    assert r['text'] == '' and r['stop_reason'] == 'error' and r['n_gen_tokens'] == 0
assert all(r['text'] and r['n_gen_tokens'] == 4 for r in rows[2:])
PY
expect_err_has "quantbench: error: prompt 'explain-sky' of '$fake': error: '$fake/v1/chat/completions': transfer closed with outstanding read data remaining"
grep -qF -- "--- explain-sky ---" "$T/err" || fail "no stream of the cut answer"
# HTTP 500, an error event mid-answer, an answer that is not a stream
echo errors >mode
run "$QB" prompts --server "$fake" --max-tokens 7 -o jsonl
expect_rc 4 "errors"
python3 - "$T/out" "$fake/v1/chat/completions" <<'PY' || fail "error rows"
import json, sys
rows = {r['id']: r for r in map(json.loads, open(sys.argv[1]))}
u = sys.argv[2]
assert rows['word-muffins']['status'] == 'error' and rows['word-muffins']['error'] == "'%s': HTTP 500: the slot failed" % u, rows['word-muffins']
assert rows['code-factorial']['status'] == 'error' and rows['code-factorial']['error'] == 'the server: out of memory', rows['code-factorial']
assert rows['logic-pets']['status'] == 'error' and rows['logic-pets']['error'] == "'%s': the answer is not an event stream (Content-Type: application/json)" % u, rows['logic-pets']
assert all(rows[k]['status'] == 'ok' for k in ('explain-sky', 'arith-mul'))
PY
# a server that never answers: --timeout, and --idle-timeout, end each request
echo silent >mode
start=$(date +%s)
run "$QB" prompts --server "$fake" --timeout 0.5 -o jsonl
expect_rc 1 "--timeout"
python3 - "$T/out" <<'PY' || fail "timeout rows"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 5 and all(r['status'] == 'timeout' for r in rows), rows
assert all('Operation timed out after' in r['error'] for r in rows), rows[0]['error']
PY
run "$QB" prompts --server "$fake" --idle-timeout 1 -o json
expect_rc 1 "--idle-timeout"
python3 - "$T/out" "$fake/v1/chat/completions" <<'PY' || fail "idle rows"
import json, sys
rows = json.load(open(sys.argv[1]))
want = "'%s': no byte came for 1 s (idle timeout)" % sys.argv[2]
assert len(rows) == 5 and all(r['status'] == 'timeout' and r['error'] == want for r in rows), rows
PY
# SIGINT while a request waits: that row interrupted, no other asked, exit 130
: >req.log
bg "$QB" prompts --server "$fake" -o jsonl
wait_for 10 '[ -s req.log ]'
stop_with INT
expect_rc 130 "SIGINT"
[ "$(wc -l <req.log)" = 1 ] && [ "$(grep -c '"status":"interrupted"' "$T/out")" = 1 ] &&
    [ "$(wc -l <"$T/out")" = 1 ] || { cat "$T/out" "$T/err"; fail "SIGINT rows"; }
[ $(($(date +%s) - start)) -lt 40 ] || fail "the timeouts took $(($(date +%s) - start)) s"

# a server that is not there: every prompt's row says so, asked once
port=$(free_port)
run "$QB" prompts --server "http://127.0.0.1:$port" -o jsonl
expect_rc 1 "refused"
python3 - "$T/out" "$port" <<'PY' || fail "refused rows"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 5 and len({r['error'] for r in rows}) == 1 and rows[0]['status'] == 'error'
assert rows[0]['error'].startswith("'http://127.0.0.1:%s/v1/chat/completions': Failed to connect" % sys.argv[2]), rows[0]['error']
assert all(r['model_filename'] == 'http://127.0.0.1:%s' % sys.argv[2] for r in rows)
PY

# bad URLs and flags
run "$QB" prompts --server ftp://127.0.0.1/
expect_rc 3 "ftp"
expect_err "quantbench: error: 'ftp://127.0.0.1/': not an http:// or https:// URL"
run "$QB" prompts --server "http://127.0.0.1:1/?a=b"
expect_rc 3 "query"
expect_err "quantbench: error: 'http://127.0.0.1:1/?a=b': a server's URL has no query or fragment"
chk() { local want=$1; shift; run "$QB" prompts "$@"; expect_rc 2 "$*"; expect_err "quantbench prompts: $want; try 'quantbench prompts --help'"; }
chk "-c does not apply with --server (the server's own setting)" --server "$fake" -c 512
chk "-m does not apply with --server (the server's own setting)" -m "$m" --server "$fake"
chk "--mem does not apply with --server (the server's own setting)" --server "$fake" --mem
chk "--model-name applies only with --server URL" -m "$m" --model-name x
chk "--api-key applies only with --server URL" -m "$m" --api-key x
chk "invalid value '-1' for --idle-timeout (seconds, 0 = none)" --server "$fake" --idle-timeout -1
chk "--server needs a value" --server
run "$QB" prompts --help
expect_rc 0
expect_out_has "  --server URL"
expect_out_has "  --idle-timeout S"
exit 0
