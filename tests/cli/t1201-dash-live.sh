# The live page in Chromium (`quantbench serve --port 0`) while `run` works in another
# process on a small suite (a bench test and a prompts test on a synthesized model big
# enough to take some seconds, its file named "><img onerror=x>): the progress advances,
# an answer's tokens arrive, result rows appear; a reload mid-run loses nothing (the same
# answers' text and log lines as before it, then more); the names show as text; no
# console error (a CSP violation would be one); screenshots kept in $QB_ARTIFACTS.
. "$(dirname "$0")/lib.sh"
need_browser
m=$MODELS/live-big.gguf
[ -f "$m" ] || "$QB" synth -o "$m" --layers 8 --embd 1024 --heads 8 --ff 2816 --type Q8_0 --seed 3 >&2 ||
    fail "synth"
# a file name and a suite name that would be markup if a page took them for html
cp "$m" '"><img onerror=x>big.gguf'
cat >s.json <<JSON
{"name": "live <b>suite</b>", "models": ["\\"><img onerror=x>big.gguf"], "settings": {"t": 1},
 "tests": [{"test": "bench", "p": 64, "n": 16, "r": 2},
           {"test": "prompts", "set": "builtin", "max_tokens": 256}]}
JSON
export QB_DB=$T/q.db
"$QB" run s.json --no-progress >run.out 2>run.err &
pid=$!
# the dashboard in another process, once the run is in the database
for _ in $(seq 600); do
    [ -f q.db ] && [ "$(sqlite3 q.db 'select count(*) from runs' 2>/dev/null)" = 1 ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
"$QB" serve --port 0 >serve.out 2>serve.err &
spid=$!
for _ in $(seq 100); do [ -s serve.out ] && break; sleep 0.1; done
url=$(head -1 serve.out)
case "$url" in http://127.0.0.1:*/) ;; *) kill $pid $spid; cat serve.err >&2; fail "serve printed '$url'" ;; esac
art=$(artifacts_dir)
QB_LIVE_LIMIT_S=300 dash_browser live "$url" "$T/shots"
wait $pid
rc=$?
kill $spid
wait $spid
src=$?
[ $rc = 0 ] || { cat run.err >&2; fail "run exited $rc"; }
[ $src = 0 ] || { cat serve.err >&2; fail "serve exited $src on SIGTERM"; }
for f in shots/*.png; do cp "$f" "$art/$(basename "$f")"; done
python3 - browser.json "$QB_DB" "$(dirname "$0")" <<'PY' || fail "the live page"
import json, sqlite3, sys
sys.path.insert(0, sys.argv[3])
from dash_check import console_errors
j = json.load(open(sys.argv[1]))
assert not console_errors(j['log'], reloads=True), console_errors(j['log'], reloads=True)
# the progress advanced: at least two counts of cells done seen, the last all of them
done = [p.split('/')[0] for p in j['progress'] if '/' in p]
assert len(set(done)) >= 2 and j['final']['progress'].startswith('3/3 cells'), j['progress']
assert j['final']['status'] == 'finished: 3 of 3 cells done, 0 not ok', j['final']['status']
# an answer's tokens arrived a few at a time: its text grew between looks
grow = [b - a for a, b in zip(j['answers'], j['answers'][1:])]
assert sum(1 for g in grow if g > 0) >= 3, j['answers']
# result rows appeared one by one: the ok cells went up, to all three
assert j['okRows'][-1] == 3 and len(j['okRows']) >= 2 and j['okRows'] == sorted(j['okRows']), j['okRows']
# the reload lost nothing: every answer and log line seen before is there after it, the
# answers the same text or more of it, then more arrived
r = j['reload']
assert r, 'no reload mid-run'
b, a = r['before'], r['after']
keys_b, keys_a = b['answerKeys'], a['answerKeys']
assert keys_b and set(keys_b) <= set(keys_a), (keys_b, keys_a)
for k, t in zip(keys_b, b['answers']):
    assert a['answers'][keys_a.index(k)].startswith(t) and t, (k, t)
assert a['log'][:len(b['log'])] == b['log'], (b['log'], a['log'])
f = j['final']
assert len(f['answers']) == 5 and sum(map(len, f['answers'])) > sum(map(len, a['answers'])), f['answers']
assert len(f['log']) > len(a['log'])
# the page's answers are the stored ones, token for token
db = sqlite3.connect(sys.argv[2])
rows = [json.loads(x) for (x,) in db.execute("select row from results where kind = 'prompts' order by id")]
texts = dict(zip(f['answerKeys'], f['answers']))
cell = db.execute("select idx from suite_plan where test like 'prompts%'").fetchone()[0]
assert [texts.get('%d:%d' % (cell, i)) for i in range(5)] == [r['text'] for r in rows], (texts, [r['text'] for r in rows])
# the odd names shown as text, no element made of them
assert f['images'] == 0 and f['models'] == ['"><img onerror=x>big.gguf'] * 3, (f['images'], f['models'])
assert f['h2'] == 'Live run 1: live <b>suite</b>', f['h2']
# the metric cards filled in
cards = {c['k']: c['v'] for c in f['cards']}
assert sorted(cards) == ['TTFT ms', 'load s', 'peak memory MiB', 't/s'], cards
assert all(v != '-' and float(v) > 0 for v in cards.values()), cards
PY
exit 0
