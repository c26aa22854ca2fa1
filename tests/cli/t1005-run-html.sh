# run -o html and report --suite RUN -o html: one self-contained page (a CSP that allows
# nothing but inline style, no outside URL, no script) with the suite's name, the run, the
# table to share (the cells of md, a group with a failed cell shaded) and per group its
# cells; a model file name and a suite name with <b>&" are escaped. Chromium renders it
# without console errors (a CSP violation is one) and shows the shading.
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

python3 - run.html report.html report.md <<'PY' || fail "the page"
import html.parser, re, sys
run, rep, md = (open(f, encoding='utf-8').read() for f in sys.argv[1:])
csp = ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
       'style-src \'unsafe-inline\'; base-uri \'none\'; form-action \'none\'">')
for page in (run, rep):
    assert page.startswith('<!DOCTYPE html>\n'), page[:40]
    assert page.count(csp) == 1, 'CSP'
    rest = page.replace(csp, '')
    assert 'http://' not in rest and 'https://' not in rest, 'an outside URL'
    assert not re.search(r'<script|<link|<img|<iframe|\bsrc=|\bhref=', rest), 'fetches or scripts'
    # the names' raw bytes never reach the page: every < opens a tag of the page's own
    assert '<b>' not in rest and '<i>' not in rest, 'unescaped name'
    assert '<title>quantbench suite html &lt;i&gt;suite&lt;/i&gt; &amp; &quot;co&quot;</title>' in page
# the run itself has not ended when it writes its page; report says how it ended
p_run = re.findall(r'<p>run [^<]*</p>', run)
p_rep = re.findall(r'<p>run [^<]*</p>', rep)
assert len(p_run) == 1 and re.fullmatch(r'<p>run 1, started \S+Z: 3 groups, 6 cells, 2 not ok</p>', p_run[0]), p_run
assert len(p_rep) == 1 and re.fullmatch(r'<p>run 1, started \S+Z, ended \S+Z \(partial\): 3 groups, 6 cells, 2 not ok</p>', p_rep[0]), p_rep
assert run.replace(p_run[0], '') == rep.replace(p_rep[0], ''), 'run -o html and report --suite -o html differ'

class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.summaries, self.opens, self.cur, self.text = [], [], [], None, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'table':
            self.tables.append((a.get('class'), []))
        elif tag == 'tr':
            self.tables[-1][1].append((a.get('class'), []))
        elif tag in ('td', 'th'):
            self.text = ''
        elif tag == 'details':
            self.opens.append('open' in a)
        elif tag == 'summary':
            self.text = ''
    def handle_endtag(self, tag):
        if tag in ('td', 'th'):
            self.tables[-1][1][-1][1].append(self.text)
            self.text = None
        elif tag == 'summary':
            self.summaries.append(self.text)
            self.text = None
    def handle_data(self, d):
        if self.text is not None:
            self.text += d
pg = Page()
pg.feed(rep)
kinds = [t[0] for t in pg.tables]
assert kinds == ['suite', 'cells', 'cells', 'cells'], kinds
rows = pg.tables[0][1]
# the same cells as the md table, row by row (md escapes '|' only; none here)
mdrows = [[c.strip() for c in l.strip()[1:-1].split(' | ')] for l in md.splitlines()
          if l.startswith('| ')]
assert len(mdrows) == 4 and len(rows) == 4, (mdrows, rows)
assert [r[1] for r in rows] == mdrows, (rows, mdrows)
assert len(mdrows[0]) == 15 and mdrows[0][0] == 'model' and mdrows[0][-1] == 'failed'
dense, odd, crash = rows[1:]
assert dense[1][0] == 'dense.gguf' and odd[1][0] == '<b>&"x.gguf' and crash[1][0] == 'crashme.gguf'
for r in (dense, odd):
    assert r[0] is None and re.fullmatch(r'[0-9.]+ ± [0-9.]+', r[1][4]), r
    assert r[1][-1] == '', r
assert crash[0] == 'failed' and 'crashed' in crash[1][-1], crash
# the cells of each group, the failed group open
assert pg.opens == [False, False, True], pg.opens
assert pg.summaries[0].endswith(': 2 cells, all ok') and '<b>&"x.gguf' in pg.summaries[1], pg.summaries
assert pg.summaries[2].endswith(': 2 cells, 2 not ok'), pg.summaries
for t, (_, trs) in enumerate(pg.tables[1:]):
    assert trs[0][1] == ['test', 'status', 'reason', 'duration s'], trs[0]
    assert [r[1][0] for r in trs[1:]] == ['pp16', 'tg4'], trs
    for cls, c in trs[1:]:
        assert re.fullmatch(r'[0-9]+\.[0-9]{2}', c[3]), c
        assert (cls == 'failed') == (t == 2) and (c[1] == 'ok') == (t != 2), (cls, c)
        assert t != 2 or c[2] != '', c
PY

command -v chromium >/dev/null || { echo "chromium not installed"; exit 77; }
br=(chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
    --user-data-dir="$T/chrome" --enable-logging=stderr --v=0 --window-size=1400,900)
timeout 120 "${br[@]}" --dump-dom "file://$T/report.html" >dom.html 2>chrome.err ||
    { tail -5 chrome.err >&2; fail "chromium --dump-dom"; }
grep -E 'CONSOLE|Uncaught|Content.Security.Policy|Refused' chrome.err && fail "console errors"
grep -qF '<table class="suite">' dom.html || fail "the rendered page has no table"
timeout 120 "${br[@]}" --screenshot="$T/shot.png" "file://$T/report.html" >/dev/null 2>shot.err ||
    { tail -5 shot.err >&2; fail "chromium --screenshot"; }
# the inline style applies (the CSP lets it): the failed group's row is shaded #fbe3e3
python3 - shot.png "$(cd "$(dirname "$0")" && pwd)" <<'PY' || fail "screenshot"
import sys
sys.path.insert(0, sys.argv[2])
from png import read_png
w, h, bpp, rows = read_png(sys.argv[1])
assert (w, h) == (1400, 900), (w, h)
shaded = sum(1 for r in rows for x in range(0, w * bpp, bpp) if tuple(r[x:x + 3]) == (0xfb, 0xe3, 0xe3))
assert shaded > 2000, shaded
PY
exit 0
