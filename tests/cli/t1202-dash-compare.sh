# History and compare in Chromium through `quantbench serve`: two labelled bench runs at
# three depths; history lists both runs with filters, compare?a=main&b=pr shows the
# matched tests with Δ% and intervals as `compare -o json` gives them, a Δ% chart and the
# two sides' curves of t/s against depth (integer depth ticks); no console error;
# screenshots kept in $QB_ARTIFACTS.
. "$(dirname "$0")/lib.sh"
need_browser
m=$(model_dense)
export QB_DB=$T/q.db
for l in main pr; do
    run "$QB" bench -m "$m" -p 16 -n 4 -d 0,32,64 -t 1 -r 2 --label $l
    expect_rc 0 "bench $l"
done
run "$QB" compare main pr -o json
expect_rc 0 "compare"
cp "$T/out" compare.json
"$QB" serve --port 0 >serve.out 2>serve.err &
spid=$!
for _ in $(seq 100); do [ -s serve.out ] && break; sleep 0.1; done
url=$(head -1 serve.out)
case "$url" in http://127.0.0.1:*/) ;; *) kill $spid; cat serve.err >&2; fail "serve printed '$url'" ;; esac
dash_browser pages "$url" "$T/shots" history 'compare?a=main&b=pr' charts
kill $spid
wait $spid || fail "serve exited $? on SIGTERM"
art=$(artifacts_dir)
cp shots/history.png "$art/history.png"
cp shots/compare-a-main-b-pr.png "$art/compare.png"
cp shots/charts.png "$art/live-charts.png"
python3 - browser.json compare.json "$(dirname "$0")" <<'PY' || fail "the pages"
import json, sys
sys.path.insert(0, sys.argv[3])
from dash_check import console_errors, check_chart
j, cmp = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert not console_errors(j['log']), console_errors(j['log'])
h = j['pages']['history']
runs = [t for t in h['tables'] if t['cls'] == 'runs'][0]['rows']
assert [r['cells'][2:5] for r in runs[1:]] == [['2', 'pr', 'bench'], ['1', 'main', 'bench']], runs
c = j['pages']['compare?a=main&b=pr']
t = [t for t in c['tables'] if t['cls'] == 'compare'][0]['rows']
lines = cmp['lines'] if isinstance(cmp, dict) else cmp
assert len(t) == 1 + len(lines) == 7, (len(t), len(lines))
for row, l in zip(t[1:], lines):
    cells = row['cells']
    assert cells[1] == l['test'], (cells, l['test'])
    d = (l['ratio'] - 1) * 100
    assert cells[6] == ('+' if d >= 0 else '') + '%.2f' % d, (cells[6], d)
    assert cells[7] == '[%.2f, %.2f]' % ((l['ci95_lo'] - 1) * 100, (l['ci95_hi'] - 1) * 100), (cells[7], l)
    assert (cells[8] == '*') == bool(l['significant'])
    # only the settings that differ between the lines
    assert 'n_batch' not in cells[2] and 'n_depth=' in cells[2], cells[2]
kinds = [x['kind'] for x in c['charts']]
assert kinds == ['delta', 'overlay', 'overlay'], kinds
for x in c['charts']:
    check_chart(x)
ov = [x for x in c['charts'] if x['kind'] == 'overlay']
assert all(x['xticks'] == ['0', '32', '64'] and x['legend'] == 'AB' and x['series'] == 2 for x in ov), ov
# the live charts page: the newest run with rows, its depth charts
ch = j['pages']['charts']
assert [x['kind'] for x in ch['charts']] == ['bench-depth-pp', 'bench-depth-tg'], [x['kind'] for x in ch['charts']]
for x in ch['charts']:
    check_chart(x)
PY
exit 0
