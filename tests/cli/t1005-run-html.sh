# run -o html and report --suite RUN -o html: the dashboard's page as one self-contained
# file (a CSP, no outside URL) titled with the suite's name, carrying the run's API answers:
# the run, its cells and the table to share (the groups of md, the crashed ones' cells
# failed), its rows and events; model file names with <b>&" and "><img onerror=x> and a
# suite name with <i> are escaped in the page and raw in its data. As Chromium renders it
# (playwright-core): the same table as md cell for cell, the names as text (no element
# made of them), the crashed group shaded and its cells open, no console error (a CSP
# violation is one); screenshots kept in $QB_ARTIFACTS.
. "$(dirname "$0")/lib.sh"
a=$(model_dense)
mkdir m
cp "$(model_moe)" 'm/<b>&"x.gguf'
# a model of its own (a copy would share the cells of the one it copies: keys are content)
"$QB" synth -o '"><img onerror=x>.gguf' --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 \
    --ctx 2048 --seed 9 >&2 || fail "synth"
cp "$a" crashme.gguf # another key than $a's cells: -t 2
cat >s.json <<JSON
{"name": "html <i>suite</i> & \"co\"",
 "models": ["$a", "m/<b>&\\"x.gguf", "\\"><img onerror=x>.gguf",
            {"path": "crashme.gguf", "settings": {"t": "2"}}],
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
    # nothing fetched: the one link is the empty icon (no request for /favicon.ico)
    assert page.count('<link rel="icon" href="data:,">') == 1
    assert not re.search(r'<link|<img|<iframe|\bsrc=|\bhref=', page.replace('<link rel="icon" href="data:,">', '')), 'fetches'
    # the names' raw bytes never reach the page: every < opens a tag of the page's own
    assert '<b>' not in page and '<i>' not in page and 'x"><img' not in page, 'unescaped name'
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
    assert r['progress']['cells'] == 8 and r['progress']['done'] == 8 and r['progress']['failed'] == 2, r['progress']
    assert r['progress']['running'] is None, r['progress']
# the same cells and table either way; the rows and the events of run 1 (without tokens)
assert r_run['cells'] == r_rep['cells'] and r_run['table'] == r_rep['table']
rows = d_rep['/api/rows?run=1']
assert d_run['/api/rows?run=1'] == rows and len(rows) == 8, rows
assert [r['status'] for r in rows] == ['ok'] * 6 + ['crashed'] * 2, rows
assert rows[2]['row']['model_filename'] == 'm/<b>&"x.gguf', rows[2]
assert rows[4]['row']['model_filename'] == '"><img onerror=x>.gguf', rows[4]
kinds = [e['kind'] for e in d_rep['/api/events?run=1']]
assert kinds[0] == 'run_started' and kinds[-1] == 'run_finished' and 'tokens' not in kinds, kinds
assert kinds.count('cell_started') == 8 and kinds.count('cell_failed') == 2, kinds
# the table is the md one, group by group: the file names raw in the JSON
mdrows = [[c.strip() for c in l.strip()[1:-1].split(' | ')] for l in md.splitlines()
          if l.startswith('| ')]
assert len(mdrows) == 5 and mdrows[0][0] == 'model' and mdrows[0][-1] == 'failed', mdrows
t = r_rep['table']
assert [g['model'] for g in t] == ['dense.gguf', '<b>&"x.gguf', '"><img onerror=x>.gguf', 'crashme.gguf'], t
assert [g['model'] for g in t] == [m[0] for m in mdrows[1:]]
assert t[0]['failed'] == [] and t[1]['failed'] == [] and t[2]['failed'] == [] and t[0]['pp_ts'] > 0
assert [f['status'] for f in t[3]['failed']] == ['crashed', 'crashed'], t[3]['failed']
assert [c['status'] for c in r_rep['cells']] == ['ok'] * 6 + ['crashed'] * 2
assert all(c['reason'] for c in r_rep['cells'][6:]), r_rep['cells']
PY

need_browser
art=$(artifacts_dir)
dash_browser pages "file://$T/report.html" "$T/shots" results history
cp browser.json report.json
cp shots/results.png "$art/suite-results.png"
dash_browser pages "file://$T/run.html" "$T/shots-run" results
cp browser.json run.json
python3 - report.json run.json report.md shots/results.png "$(dirname "$0")" <<'PY' || fail "the rendered page"
import json, sys
sys.path.insert(0, sys.argv[5])
from dash_check import console_errors
from png import read_png
rep, run = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
md = [[c.strip() for c in l.strip()[1:-1].split(' | ')] for l in open(sys.argv[3]).read().splitlines()
      if l.startswith('| ')]
for j in (rep, run):
    assert not console_errors(j['log']), console_errors(j['log'])
    p = j['pages']['results']
    # the titles as text: the suite's name with its <i> shown, not made an element
    assert p['title'] == 'quantbench suite html <i>suite</i> & "co"', p['title']
    assert p['h1'] == p['title'] and p['images'] == 0, (p['h1'], p['images'])
    suite = [t for t in p['tables'] if t['cls'] == 'suite']
    assert len(suite) == 1, [t['cls'] for t in p['tables']]
    rows = suite[0]['rows']
    # the table to share is md's, cell for cell, the odd names as text
    assert [r['cells'] for r in rows] == md, ([r['cells'] for r in rows], md)
    assert [r['cells'][0] for r in rows[1:]] == ['dense.gguf', '<b>&"x.gguf', '"><img onerror=x>.gguf', 'crashme.gguf']
    assert [r['cls'] for r in rows[1:]] == ['', '', '', 'failed'], [r['cls'] for r in rows]
    assert 'crashed' in rows[4]['cells'][-1]
    # per group its cells: test, status, reason, duration; the crashed ones failed
    cells = [t['rows'] for t in p['tables'] if t['cls'] == 'cells']
    assert len(cells) == 4, len(cells)
    for g, trs in enumerate(cells):
        assert trs[0]['cells'][:4] == ['test', 'status', 'reason', 'duration s'], trs[0]
        assert [r['cells'][0] for r in trs[1:]] == ['pp16', 'tg4'], trs
        for r in trs[1:]:
            bad = g == 3
            assert (r['cls'] == 'failed') == bad and (r['cells'][1] == 'crashed') == bad, (g, r)
            assert bad == (r['cells'][2] != ''), r
    assert '"><img onerror=x>.gguf n_threads=1: 2 cells, all ok' in p['main'], p['main'][:2000]
    assert 'crashme.gguf n_threads=2: 2 cells, 2 not ok' in p['main']
# the run's page is the report's, but for the run's end (not known when it was written)
assert run['pages']['results']['tables'] == rep['pages']['results']['tables']
# history: the run, partial
h = [t for t in rep['pages']['history']['tables'] if t['cls'] == 'runs'][0]['rows']
assert len(h) == 2 and h[1]['cells'][6] == 'partial' and h[1]['cls'] == 'failed', h
# the inline style applies (the CSP lets it): the crashed group's row is shaded #fbe3e3
w, hh, bpp, px = read_png(sys.argv[4])
shaded = sum(1 for r in px for x in range(0, w * bpp, bpp) if tuple(r[x:x + 3]) == (0xfb, 0xe3, 0xe3))
assert shaded > 2000, shaded
PY
exit 0
