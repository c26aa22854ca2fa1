# report -o html in Chromium (offline, from the file): on a suite run with bench rows at
# several threads and depths, sweep, batched, mem, quality (a quant ladder) and prompts
# rows of three models, every page is visited: results (the suite's table as report
# --suite prints it), charts (each drawn: pixels, numeric ticks, integer ticks on the
# depth, thread and sequence axes, legends that fit with distinct colours) and history;
# a report with a single depth and thread count shows those as tables, not charts. No
# console error (a CSP violation would be one); screenshots kept in $QB_ARTIFACTS.
. "$(dirname "$0")/lib.sh"
need_browser
d=$(model_dense)
mo=$(model_moe)
cp "$d" dense.gguf
cat >s.json <<JSON
{"name": "charts",
 "models": [{"ladder": {"source": "dense.gguf", "types": ["Q8_0", "Q4_0"]}}, "$mo"],
 "settings": {"t": 2},
 "tests": [{"test": "bench", "p": 16, "n": 4, "pg": "16,4", "r": 2, "d": "0,64", "t": "1,2"},
           {"test": "sweep", "c": 256, "ub": 64, "n": 4},
           {"test": "batched", "c": 512, "npp": 16, "ntg": 4, "npl": "1,2,4"},
           {"test": "mem", "c": 1024},
           {"test": "quality", "corpus": "licenses", "c": 128, "chunks": 2, "base": "source"},
           {"test": "prompts", "set": "builtin", "max_tokens": 8}]}
JSON
export QB_DB=$T/q.db
run "$QB" run s.json --no-progress
# the MoE model's KLD against the dense source fails (another model): exit 4, the rest ok
expect_rc 4 "the suite"
run "$QB" report --suite last
expect_rc 0 "md"
cp "$T/out" suite.md
run "$QB" report -o html
expect_rc 0 "report -o html"
cp "$T/out" report.html
# a bench of one depth and thread count (its own database: a report holds whole runs)
run "$QB" bench -m "$d","$mo" -p 16 -n 4 -r 2 -t 2 --db one.db
expect_rc 0 "bench of one depth"
run "$QB" report --db one.db -o html
expect_rc 0 "report of one depth and thread count"
cp "$T/out" one.html

art=$(artifacts_dir)
dash_browser pages "file://$T/report.html" "$T/shots" results charts history
cp browser.json all.json
for p in results charts history; do cp "shots/$p.png" "$art/report-$p.png"; done
dash_browser pages "file://$T/one.html" "$T/shots1" charts
cp browser.json one.json
cp shots1/charts.png "$art/report-one-depth-charts.png"

python3 - all.json one.json suite.md "$(dirname "$0")" <<'PY' || fail "the pages"
import json, sys
sys.path.insert(0, sys.argv[4])
from dash_check import console_errors, check_chart
a, one = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
md = [[c.strip() for c in l.strip()[1:-1].split(' | ')] for l in open(sys.argv[3]).read().splitlines()
      if l.startswith('| ')]
for j in (a, one):
    assert not console_errors(j['log']), console_errors(j['log'])
res, ch, hist = (a['pages'][p] for p in ('results', 'charts', 'history'))
# results: the suite's table, cell for cell as md has it, the failed group shaded
suite = [t for t in res['tables'] if t['cls'] == 'suite']
assert len(suite) == 1, [t['cls'] for t in res['tables']]
rows = suite[0]['rows']
assert [r['cells'] for r in rows] == md, ([r['cells'] for r in rows], md)
# 3 models x the two thread counts of bench (the other tests at the suite's -t 2)
assert [r['cls'] for r in rows[1:]] == [''] * 5 + ['failed'], [r['cls'] for r in rows]
assert rows[6]['cells'][-1] == 'kld licenses:error', rows[6]
# every answer is there, with its grade
ans = res['answers']
assert len(ans) == 15 and sum(1 for x in ans if x['head'].startswith('explain-sky ·')) == 3, ans
assert all(' · fail' in x['head'] or ' · incomplete' in x['head'] or ' · pass' in x['head'] for x in ans), ans
# charts: one kind per chart, each drawn
kinds = [c['kind'] for c in ch['charts']]
want = ['bench-depth-pp', 'bench-threads-pp', 'bench-size-pp', 'bench-depth-tg', 'bench-threads-tg',
        'bench-size-tg', 'bench-depth-pg', 'bench-threads-pg', 'bench-size-pg', 'sweep-speed_pp',
        'sweep-speed_tg', 'batched-speed_pp', 'batched-speed_tg', 'batched-speed', 'ladder', 'ladder-speed',
        'memory', 'ttft']
assert kinds == want, kinds
for c in ch['charts']:
    check_chart(c)
by = {c['kind']: c for c in ch['charts']}
assert by['bench-threads-tg']['xticks'] == ['1', '2'], by['bench-threads-tg']['xticks']
assert by['bench-depth-tg']['xticks'] == ['0', '64'], by['bench-depth-tg']['xticks']
assert by['batched-speed']['xticks'] == ['1', '2', '4'], by['batched-speed']['xticks']
assert by['sweep-speed_tg']['xint'] and len(by['sweep-speed_tg']['xticks']) >= 3
# 3 models x 2 thread counts; the legend names only what varies
assert by['bench-depth-pp']['series'] == 6 and 'n_depth' not in by['bench-depth-pp']['legend']
assert 'n_threads=1' in by['bench-depth-pp']['legend'] and 'n_batch' not in by['bench-depth-pp']['legend']
assert by['memory']['series'] == 4 and by['ladder']['series'] == 2
# the error bars of TTFT start at 0 at the lowest: no negative tick
assert all(not t.startswith('-') for t in by['ttft']['xticks'])
# history: the run
runs = [t for t in hist['tables'] if t['cls'] == 'runs'][0]['rows']
assert len(runs) == 2 and runs[1]['cells'][2] == '1' and runs[1]['cells'][4] == 'run', runs
# one depth and one thread count: tables, no chart of them
o = one['pages']['charts']
assert not [c for c in o['charts'] if c['kind'].startswith(('bench-depth', 'bench-threads'))], [c['kind'] for c in o['charts']]
assert 'bench-depth-pp' in o['pointTables'] and 'bench-depth-tg' in o['pointTables'], o['pointTables']
for c in o['charts']:
    check_chart(c)
PY
exit 0
