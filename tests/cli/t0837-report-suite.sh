# report --suite RUN: the table to share of a suite run, one row per model x settings group
# of its plan; RUN is an id, a label or 'last'; a run that is not a suite run (or none) is
# one line and exit 3. The suite run is made here from bench's own rows (the run command
# writes the same tables), so the table reads the fields real rows have.
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
q() { sqlite3 -batch -noheader "$1" "$2"; }
command -v sqlite3 >/dev/null || { echo "no sqlite3"; exit 77; }

run "$QB" bench -m "$m" -p 16 -n 4 -pg 16,4 -r 2 -t 1 --label plain
expect_rc 0 "bench"
[ "$(q quantbench.db 'SELECT count(*) FROM results')" = 3 ] || fail "bench rows"

run "$QB" report --suite 1
expect_rc 3 "a run that is not a suite run"
expect_err "quantbench: error: run 1 is not a suite run"
[ ! -s "$T/out" ] || fail "stdout of a refused run"
run "$QB" report --suite plain
expect_rc 3 "by label"
expect_err "quantbench: error: run 1 is not a suite run"
run "$QB" report --suite 99
expect_rc 3 "no such run"
expect_err "quantbench: error: no run '99' in the database"
run "$QB" report --suite last
expect_rc 3 "no suite run yet"
expect_err "quantbench: error: no suite run in the database"
run "$QB" report --suite
expect_rc 2 "no value"
expect_err "quantbench report: '--suite' needs a value; try 'quantbench report --help'"
run "$QB" report --suite 1 --runs
expect_rc 2 "with --runs"
expect_err "quantbench report: --suite shows one suite run: no FILTER, no --runs; try 'quantbench report --help'"
run "$QB" report --suite 1 kind=bench
expect_rc 2 "with a filter"
run "$QB" report --suite 1 -o jsonl
expect_rc 2 "jsonl"
expect_err "quantbench report: --suite writes md, csv, json or html; try 'quantbench report --help'"

# a suite run: group g1 is bench's three tests (as cells of run 2), group g2 the same model
# at -t 2 with a crashed tg128 and a quality cell not measured yet
k() { printf '%064d' "$1"; }
q quantbench.db "
INSERT INTO runs(id, label, command, argv, started, status) VALUES(2, 'nightly', 'run', '[]',
  '2026-01-01T00:00:00Z', 'ok');
INSERT INTO suites VALUES(2, '{}');
INSERT INTO suite_plan VALUES(2, 0, '$(k 1)', 'g1', '$m', 'pp16', '{\"n_threads\":1}'),
  (2, 1, '$(k 2)', 'g1', '$m', 'tg4', '{\"n_threads\":1}'),
  (2, 2, '$(k 3)', 'g1', '$m', 'pp16+tg4', '{\"n_threads\":1}'),
  (2, 3, '$(k 4)', 'g2', '$m', 'tg4', '{\"n_threads\":2}'),
  (2, 4, '$(k 5)', 'g2', '$m', 'quality', '{\"n_threads\":2}');
INSERT INTO cells(id, key, run_id, model, test, settings, status, reason, stderr_tail, started,
  ended) VALUES(1, '$(k 1)', 2, '$m', 'pp16', '{}', 'ok', '', '', 10, 11),
  (2, '$(k 2)', 2, '$m', 'tg4', '{}', 'ok', '', '', 11, 12),
  (3, '$(k 3)', 2, '$m', 'pp16+tg4', '{}', 'ok', '', '', 12, 13),
  (4, '$(k 4)', 2, '$m', 'tg4', '{}', 'crashed', 'worker died', 'tail', 13, 14);
UPDATE results SET cell_id = CASE test WHEN 'pp16' THEN 1 WHEN 'tg4' THEN 2 ELSE 3 END;"

run "$QB" report --suite nightly
expect_rc 0 "md"
[ "$(wc -l <"$T/out")" = 4 ] || fail "md: a header, a rule and two rows"
head -1 "$T/out" | grep -qxF "| model | settings | size GiB | bpw | pp t/s | tg t/s | TTFT ms | load s (cold/warm) | peak host MiB | peak GPU MiB | PPL | KLD | same top % | prompts | failed |" ||
    fail "md header"
grep -qE "^\| dense\.gguf \| n_threads=1 \| 0\.[0-9]{2} \| [0-9.]+ \| [0-9.]+ ± [0-9.]+ \| [0-9.]+ ± [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| - \| - \| - \| - \| - \|  \|$" "$T/out" ||
    fail "g1 row: $(sed -n 3p "$T/out")"
grep -qxF "| dense.gguf | n_threads=2 | - | - | - | - | - | - | - | - | - | - | - | - | tg4:crashed,quality:missing |" "$T/out" ||
    fail "g2 row: $(sed -n 4p "$T/out")"

run "$QB" report --suite last -o json
expect_rc 0 "json"
cp "$T/out" report.json
json_get "$T/out" "len(j) == 2 and [g['group'] for g in j] == ['g1', 'g2']" | grep -qx True || fail "json groups"
# every figure of g1 is bench's own: its mean t/s, size, TTFT, load, peak RSS
python3 - "$T/out" quantbench.db <<'PY' || fail "json figures"
import json, sqlite3, sys, statistics
g1, g2 = json.load(open(sys.argv[1]))
rows = {t: json.loads(r) for t, r in sqlite3.connect(sys.argv[2]).execute('SELECT test, row FROM results')}
pp, tg, pg = rows['pp16'], rows['tg4'], rows['pp16+tg4']
near = lambda a, b: abs(a - b) <= 1e-9 * max(1, abs(b))
assert near(g1['pp_ts'], statistics.mean(pp['samples_ts'])), g1
assert near(g1['tg_ts'], statistics.mean(tg['samples_ts'])), g1
assert near(g1['size_gib'], pp['model_size'] / 2**30) and near(g1['bpw'], 8 * pp['model_size'] / pp['model_n_params'])
assert near(g1['ttft_ms'], pg['ttft_ns'] / 1e6), (g1['ttft_ms'], pg['ttft_ns'])
assert near(g1['load_cold_s'], pp['load_ns'] / 1e9)
# bench measured all three in one worker: one load, cold, and none warm
assert pp['load_ns'] == tg['load_ns'] == pg['load_ns'] and g1['load_warm_s'] is None
assert near(g1['peak_host_mib'], max(r['rss_peak_bytes'] for r in rows.values()) / 2**20)
assert g1['peak_gpu_mib'] is None and g1['ppl'] is None and g1['failed'] == []
assert g1['settings'] == {'n_threads': 1} and g2['settings'] == {'n_threads': 2}
assert g2['tg_ts'] is None and g2['size_gib'] is None
assert g2['failed'] == [{'test': 'tg4', 'status': 'crashed', 'reason': 'worker died'},
                        {'test': 'quality', 'status': 'missing', 'reason': ''}], g2['failed']
PY
run "$QB" report --suite 2 -o csv
expect_rc 0 "csv"
[ "$(wc -l <"$T/out")" = 3 ] || fail "csv: a header and two rows"
tail -1 "$T/out" | grep -qxF 'dense.gguf,n_threads=2,-,-,-,-,-,-,-,-,-,-,-,-,"tg4:crashed,quality:missing"' ||
    fail "csv g2: $(tail -1 "$T/out")"
run "$QB" report --suite 2 -o html
expect_rc 0 "html"
grep -qF '<title>quantbench suite of run 2</title>' "$T/out" || fail "html: a suite without a name"
# the dashboard's page of run 2 alone: its run, cells, table, rows and events
python3 "$(dirname "$0")/page_data.py" "$T/out" page.json || fail "html: the page's data"
python3 - page.json report.json <<'PY' || fail "html: the page's data"
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(d) == ['/api/events?run=2', '/api/rows?run=2', '/api/run?id=2', '/api/runs'], sorted(d)
assert [r['id'] for r in d['/api/runs']] == [2] and d['/api/runs'][0]['label'] == 'nightly'
r = d['/api/run?id=2']
assert r['run']['started'] == '2026-01-01T00:00:00Z' and r['run']['status'] == 'ok', r['run']
assert [c['status'] for c in r['cells']] == ['ok', 'ok', 'ok', 'crashed', 'missing'], r['cells']
assert r['cells'][3]['reason'] == 'worker died' and r['cells'][3]['duration_s'] == 1
assert r['progress'] == {'cells': 5, 'done': 4, 'failed': 1, 'running': None, 'eta_s': None,
                         'elapsed_s': None}, r['progress']
# the table to share is the one json gives
assert r['table'] == json.load(open(sys.argv[2])), r['table']
assert len(d['/api/rows?run=2']) == 0  # the rows are bench's run 1's, through the cells
assert sum(len(c['rows']) for c in r['cells']) == 3
PY
# as Chromium renders it: md's table cell for cell, g2 shaded, its crashed and missing
# cells listed; no console error
cp "$T/out" page.html
run "$QB" report --suite 2
expect_rc 0 "md again"
cp "$T/out" page.md
need_browser
dash_browser pages "file://$T/page.html" "$T/shots" results
python3 - browser.json page.md "$(dirname "$0")" <<'PY' || fail "html: the rendered page"
import json, sys
sys.path.insert(0, sys.argv[3])
from dash_check import console_errors
j = json.load(open(sys.argv[1]))
assert not console_errors(j['log']), console_errors(j['log'])
p = j['pages']['results']
assert p['title'] == 'quantbench suite of run 2', p['title']
md = [[c.strip() for c in l.strip()[1:-1].split(' | ')] for l in open(sys.argv[2]).read().splitlines()
      if l.startswith('| ')]
rows = [t for t in p['tables'] if t['cls'] == 'suite'][0]['rows']
assert [r['cells'] for r in rows] == md, ([r['cells'] for r in rows], md)
assert [r['cls'] for r in rows[1:]] == ['', 'failed'], rows
cells = [t['rows'] for t in p['tables'] if t['cls'] == 'cells']
assert [[r['cells'][:4] for r in t[1:]] for t in cells] == [
    [['pp16', 'ok', '', '1.00'], ['tg4', 'ok', '', '1.00'], ['pp16+tg4', 'ok', '', '1.00']],
    [['tg4', 'crashed', 'worker died', '1.00'], ['quality', 'missing', '', '-']]], cells
assert [r['cls'] for r in cells[1][1:]] == ['failed', 'failed'], cells[1]
assert 'run 2 (nightly): run, started 2026-01-01T00:00:00Z (ok)' in p['main'], p['main'][:400]
PY
# the plain run is still reported as before, suite cells' rows included
run "$QB" report -o json
expect_rc 0 "report"
[ "$(json_get "$T/out" 'len(j)')" = 3 ] || fail "rows"
exit 0
