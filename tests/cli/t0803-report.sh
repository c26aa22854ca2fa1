# report: md, csv, json, jsonl and --runs of stored rows; html is the dashboard's page as one
# self-contained file carrying the API answers of the rows' runs (their runs, rows and
# events; a filter carries only its rows' runs), which Chromium renders without console
# errors: each run's rows in a table, each chart of one kind on its own axis, drawn.
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
mo=$(model_moe)
run "$QB" bench -m "$m","$mo" -p 16 -n 4 -d 0,32,64 -t 1,2 -r 2 --label grid
expect_rc 0 "bench"
run "$QB" batched -m "$m" -c 512 -npp 16 -ntg 4 -npl 1,2,4 -t 2
expect_rc 0 "batched"
run "$QB" sweep -m "$m" -c 256 -ub 64 -n 4 -t 2
expect_rc 0 "sweep"

run "$QB" report
expect_rc 0 "md"
[ "$(grep -c "^| [0-9]" "$T/out")" = 31 ] || fail "24 bench + 3 batched + 4 sweep rows: $(grep -c '^| [0-9]' "$T/out")"
expect_out_has "| id | run | label | kind | model | test | n_threads |"
run "$QB" report grid kind=batched -o csv
expect_rc 0 "csv"
head -1 "$T/out" | grep -qx 'id,run_id,label,kind,model,test,status,metric,mean,sd,n,settings' || fail "csv header"
[ "$(grep -c ',bench,' "$T/out")" = 24 ] && [ "$(grep -c ',batched,' "$T/out")" = 9 ] || fail "csv rows"
run "$QB" report quant=F16,kind=sweep -o jsonl
expect_rc 0 "jsonl"
[ "$(wc -l <"$T/out")" = 4 ] || fail "jsonl rows"
head -1 "$T/out" | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); assert r['kind']=='sweep' and 'samples_pp_ns' in r['row']" ||
    fail "jsonl row"
run "$QB" report --runs -o json
expect_rc 0 "runs"
json_get "$T/out" "len(j) == 3 and j[2]['label'] == 'grid' and j[2]['n_results'] == 24" | grep -qx True || fail "runs"
run "$QB" report -o xml
expect_rc 2 "bad format"
expect_err "quantbench report: invalid output format 'xml' (md, csv, json, jsonl, html); try 'quantbench report --help'"

run "$QB" report -o html
expect_rc 0 "html"
cp "$T/out" report.html
# the dashboard's page with the API answers of the rows' runs inside (dash/report.h)
python3 "$(dirname "$0")/page_data.py" report.html data.json || fail "the page's data"
grep -qE 'https?://' report.html && fail "html names an outside URL"
grep -qF '<meta http-equiv="Content-Security-Policy" content="default-src '"'none'" report.html ||
    fail "html: no Content-Security-Policy"
python3 - data.json <<'PY' || fail "the page's data"
import json, sys
d = json.load(open(sys.argv[1]))
runs = d['/api/runs']
assert [r['id'] for r in runs] == [3, 2, 1] and runs[2]['label'] == 'grid', runs
n = {r: len(d[f'/api/rows?run={r}']) for r in (1, 2, 3)}
assert n == {1: 24, 2: 3, 3: 4}, n  # 24 bench + 3 batched + 4 sweep rows
for r in (1, 2, 3):
    run = d[f'/api/run?id={r}']
    assert run['run']['id'] == r and run['cells'] is None and run['progress']['done'] == n[r], run
    assert d[f'/api/events?run={r}'] == []
kinds = {row['kind'] for r in (1, 2, 3) for row in d[f'/api/rows?run={r}']}
assert kinds == {'bench', 'batched', 'sweep'}, kinds
assert sorted(d) == sorted(['/api/runs'] + [f'/api/{p}{r}' for r in (1, 2, 3)
                                                         for p in ('run?id=', 'rows?run=', 'events?run=')]), sorted(d)
PY
# a filter: only the runs of the rows it selects
run "$QB" report kind=batched -o html
expect_rc 0 "html of a filter"
python3 "$(dirname "$0")/page_data.py" "$T/out" one.json || fail "the filtered page's data"
json_get one.json "[r['id'] for r in j['/api/runs']] == [2] and 'run?id=1' not in str(list(j))" | grep -qx True ||
    fail "html of a filter: other runs carried"
# as Chromium renders it (playwright-core): each run's rows in a table, and the charts,
# each of one kind on an axis of its own: bench t/s against depth, threads and model size,
# sweep against depth, batched against parallel sequences; every chart drawn with integer
# ticks on its integer axis and a legend that fits; no console error
need_browser
dash_browser pages "file://$T/report.html" "$T/shots" results charts
art=$(artifacts_dir)
cp shots/charts.png "$art/report-rows-charts.png"
cp shots/results.png "$art/report-rows-results.png"
python3 - browser.json "$(dirname "$0")" <<'PY' || fail "the rendered page"
import json, sys
sys.path.insert(0, sys.argv[2])
from dash_check import console_errors, check_chart
j = json.load(open(sys.argv[1]))
assert not console_errors(j['log']), console_errors(j['log'])
res, ch = j['pages']['results'], j['pages']['charts']
tables = [t['rows'] for t in res['tables'] if t['cls'] == 'rows']
# the runs oldest first: 24 bench, 3 batched, 4 sweep rows (and a header each)
assert [len(t) - 1 for t in tables] == [24, 3, 4], [len(t) for t in tables]
head = tables[0][0]['cells']
assert head[:4] == ['id', 'kind', 'model', 'test'] and head[-2:] == ['result', 'status'], head
assert 'n_threads' in head and 'n_depth' in head and 'n_batch' not in head, head
assert {r['cells'][2] for r in tables[0][1:]} == {'dense.gguf', 'moe.gguf'}
assert all(r['cells'][-1] == 'ok' and r['cells'][-2].endswith(' t/s') for t in tables for r in t[1:])
kinds = [c['kind'] for c in ch['charts']]
assert kinds == ['bench-depth-pp', 'bench-threads-pp', 'bench-size-pp', 'bench-depth-tg',
                 'bench-threads-tg', 'bench-size-tg', 'sweep-speed_pp', 'sweep-speed_tg',
                 'batched-speed_pp', 'batched-speed_tg', 'batched-speed'], kinds
for c in ch['charts']:
    check_chart(c)
by = {c['kind']: c for c in ch['charts']}
# 2 models x 2 thread counts against depth; 2 models x 3 depths against threads
assert by['bench-depth-tg']['series'] == 4 and by['bench-depth-tg']['xticks'] == ['0', '32', '64']
assert by['bench-threads-tg']['series'] == 6 and by['bench-threads-tg']['xticks'] == ['1', '2']
assert by['batched-speed']['xticks'] == ['1', '2', '4'] and by['batched-speed']['series'] == 1
# sweep: its depths, not 24 series at x = 0
assert by['sweep-speed_tg']['series'] == 1 and len(by['sweep-speed_tg']['xticks']) >= 3
PY
echo ok
