# run -o html and report --suite RUN -o html: the dashboard's page as one self-contained
# file (a CSP, no outside URL) titled with the suite's name, carrying the run's API answers:
# the run, its cells and the table to share (the groups of md, the crashed ones' cells
# failed), its rows and events; a model file name and a suite name with <b>&" are escaped
# in the page and raw in its data. Chromium renders it without console errors (a CSP
# violation is one). (What the page draws is the front-end's: web/ and its browser test.)
. "$(dirname "$0")/lib.sh"
a=$(model_dense)
mkdir m
cp "$(model_moe)" 'm/<b>&"x.gguf'
cp "$a" crashme.gguf # another key than $a's cells: -t 2
cat >s.json <<JSON
{"name": "html <i>suite</i> & \"co\"",
 "models": ["$a", "m/<b>&\\"x.gguf", {"path": "crashme.gguf", "settings": {"t": "2"}}],
 "settings": {"t": 1},
 "tests": [{"test": "bench", "p": 16, "n": 4, "r": 1}]}
JSON
export QB_DB=$T/q.db
QB_TEST_FAULT=segv:crashme run "$QB" run s.json --no-progress -o html
expect_rc 4 "a crashed cell"
cp "$T/out" run.html
run "$QB" report --suite last -o html
expect_rc 0 "report html"
cp "$T/out" report.html
run "$QB" report --suite last
expect_rc 0 "report md"
cp "$T/out" report.md

python3 - run.html report.html report.md "$(dirname "$0")" <<'PY' || fail "the page"
import json, re, subprocess, sys
run, rep, md = (open(f, encoding='utf-8').read() for f in sys.argv[1:4])
csp = ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; ')
data = []
for f, page in zip(sys.argv[1:3], (run, rep)):
    assert page.startswith('<!DOCTYPE html>\n'), page[:40]
    assert page.count(csp) == 1, 'CSP'
    assert 'http://' not in page and 'https://' not in page, 'an outside URL'
    assert not re.search(r'<link|<img|<iframe|\bsrc=|\bhref=', page), 'fetches'
    # the names' raw bytes never reach the page: every < opens a tag of the page's own
    assert '<b>' not in page and '<i>' not in page, 'unescaped name'
    assert '<title>quantbench suite html &lt;i&gt;suite&lt;/i&gt; &amp; &quot;co&quot;</title>' in page
    data.append(json.loads(subprocess.run([sys.executable, sys.argv[4] + '/page_data.py', f],
                                          check=True, capture_output=True).stdout))
d_run, d_rep = data
# the run itself has not ended when it writes its page; report says how it ended
r_run, r_rep = d_run['/api/run?id=1'], d_rep['/api/run?id=1']
assert r_run['run']['ended'] is None and r_rep['run']['status'] == 'partial', (r_run['run'], r_rep['run'])
assert r_rep['run']['ended'] is not None
for r in (r_run, r_rep):
    assert r['run']['suite'] == 'html <i>suite</i> & "co"', r['run']
    assert r['suite']['name'] == 'html <i>suite</i> & "co"'
    assert r['progress']['cells'] == 6 and r['progress']['done'] == 6 and r['progress']['failed'] == 2, r['progress']
    assert r['progress']['running'] is None, r['progress']
# the same cells and table either way; the rows and the events of run 1 (without tokens)
assert r_run['cells'] == r_rep['cells'] and r_run['table'] == r_rep['table']
rows = d_rep['/api/rows?run=1']
assert d_run['/api/rows?run=1'] == rows and len(rows) == 6, rows
assert [r['status'] for r in rows] == ['ok'] * 4 + ['crashed'] * 2, rows
assert rows[2]['row']['model_filename'] == 'm/<b>&"x.gguf', rows[2]
kinds = [e['kind'] for e in d_rep['/api/events?run=1']]
assert kinds[0] == 'run_started' and kinds[-1] == 'run_finished' and 'tokens' not in kinds, kinds
assert kinds.count('cell_started') == 6 and kinds.count('cell_failed') == 2, kinds
# the table is the md one, group by group: the file names raw in the JSON
mdrows = [[c.strip() for c in l.strip()[1:-1].split(' | ')] for l in md.splitlines()
          if l.startswith('| ')]
assert len(mdrows) == 4 and mdrows[0][0] == 'model' and mdrows[0][-1] == 'failed', mdrows
t = r_rep['table']
assert [g['model'] for g in t] == ['dense.gguf', '<b>&"x.gguf', 'crashme.gguf'], t
assert [g['model'] for g in t] == [m[0] for m in mdrows[1:]]
assert t[0]['failed'] == [] and t[1]['failed'] == [] and t[0]['pp_ts'] > 0
assert [f['status'] for f in t[2]['failed']] == ['crashed', 'crashed'], t[2]['failed']
assert [c['status'] for c in r_rep['cells']] == ['ok', 'ok', 'ok', 'ok', 'crashed', 'crashed']
assert all(c['reason'] for c in r_rep['cells'][4:]), r_rep['cells']
PY

command -v chromium >/dev/null || { echo "chromium not installed"; exit 77; }
br=(chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
    --user-data-dir="$T/chrome" --enable-logging=stderr --v=0 --window-size=1400,900)
timeout 120 "${br[@]}" --dump-dom "file://$T/report.html" >dom.html 2>chrome.err ||
    { tail -5 chrome.err >&2; fail "chromium --dump-dom"; }
grep -E 'CONSOLE|Uncaught|Content.Security.Policy|Refused' chrome.err && fail "console errors"
grep -q 'id="qb-data"' dom.html || fail "the rendered page lost its data"
exit 0
