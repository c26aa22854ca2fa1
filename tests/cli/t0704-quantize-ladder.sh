# quantize --bench --quality: the source and every rung measured in one stored run (rows of
# kinds quantize, bench and quality); each rung's PPL and KLD are those quality --base gives;
# report shows the ladder (md table; html carries its rows); --corpus names a text
. "$(dirname "$0")/lib.sh"
"$QB" synth -o src-F16.gguf --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 2048 \
    --type F16 --seed 41 >&2 || fail "synth"
export QB_CORPUS_DIR=$T/corpora
run "$QB" quantize -m src-F16.gguf --types Q8_0,Q4_K_M -o lad --bench --quality --corpus licenses \
    -c 128 --chunks 6 -p 32 -n 8 -r 2 -t 2 --db l.db --label ladder --format json
expect_rc 0
cp "$T/out" ladder.json
[ -f corpora/licenses.txt ] || fail "the licenses corpus was not written"
# the same figures straight from quality, against the base file the ladder kept
run "$QB" quality -m lad/src-Q4_K_M.gguf --base lad/src.base.bin -t 2 -o json --no-db
expect_rc 0
cp "$T/out" q4.json
python3 - ladder.json q4.json <<'PY' || fail "ladder rows"
import json, sys
rows = json.load(open(sys.argv[1]))
q4 = json.load(open(sys.argv[2]))[0]['kld']
assert [r['type'] for r in rows] == ['F16', 'Q8_0', 'Q4_K_M'], rows
assert [r['action'] for r in rows] == ['source', 'made', 'made']
for r in rows:
    assert r['pp_ts'] > 0 and r['tg_ts'] > 0 and r['ppl'] > 0, r
assert rows[0]['kld'] == 0 and rows[0]['same_top_pct'] == 100
assert 0 < rows[1]['kld'] < rows[2]['kld'], [r['kld'] for r in rows]
assert abs(rows[2]['kld'] - q4['kld']) <= 1e-12 and abs(rows[2]['ppl'] - q4['ppl']) <= 1e-9
assert abs(rows[2]['same_top_pct'] - 100 * q4['same_top']) <= 1e-9
PY
# one run holds it all
[ "$(sqlite3 l.db 'select count(*) from runs')" = 1 ] || fail "more than one run"
[ "$(sqlite3 l.db "select group_concat(kind || ':' || n) from (select kind, count(*) n from results group by kind order by kind)")" = "bench:6,quality:3,quantize:3" ] ||
    { sqlite3 l.db 'select kind, count(*) from results group by kind'; fail "rows per kind"; }
run "$QB" report --db l.db ladder
expect_rc 0
expect_out_has "## Quant ladder"
expect_out_has "| run | type | size MiB | bits/weight | pp t/s | tg t/s | PPL | mean KLD | same top % | frontier |"
grep -q '^| 1 | Q4_K_M | 11.48 | 5.48 | .* | yes |$' "$T/out" || { cat "$T/out"; fail "Q4_K_M ladder line"; }
run "$QB" report --db l.db ladder -o html
expect_rc 0
# the page carries the run's rows, the rungs' quantize rows with their size, speed and KLD
python3 "$(dirname "$0")/page_data.py" "$T/out" page.json || fail "html: the page's data"
json_get page.json "sorted(r['row']['type'] for r in j['/api/rows?run=1'] if r['kind'] == 'quantize') == ['F16', 'Q4_K_M', 'Q8_0'] and all('kld' in r['row'] and 'size_mib' in r['row'] for r in j['/api/rows?run=1'] if r['kind'] == 'quantize')" |
    grep -qx True || fail "html: the ladder's rows"
# drawn (Chromium): the ladder's KLD against size with its frontier (no smaller rung has
# a KLD as low: every rung here), its speed against size, and its table
cp "$T/out" ladder.html
if command -v chromium >/dev/null 2>&1 && [ -d "$(dirname "$0")/../../web/node_modules/playwright-core" ]; then
    dash_browser pages "file://$T/ladder.html" "$T/shots" charts
    cp shots/charts.png "$(artifacts_dir)/ladder-charts.png"
    python3 - browser.json "$(dirname "$0")" <<'PY' || fail "html: the ladder drawn"
import json, sys
sys.path.insert(0, sys.argv[2])
from dash_check import console_errors, check_chart
j = json.load(open(sys.argv[1]))
assert not console_errors(j['log']), console_errors(j['log'])
ch = j['pages']['charts']
by = {c['kind']: c for c in ch['charts']}
assert 'ladder' in by and 'ladder-speed' in by, list(by)
for c in ch['charts']:
    check_chart(c)
assert by['ladder']['series'] == 2 and by['ladder']['legend'] == 'rungsfrontier'
t = [t['rows'] for t in ch['tables'] if t['cls'] == 'ladder'][0]
assert [r['cells'][0] for r in t[1:]] == ['Q4_K_M', 'Q8_0', 'F16'], t
assert [r['cells'][-1] for r in t[1:]] == ['yes', 'yes', 'yes'], t
PY
fi
# a text too short to measure: the rungs are made (nothing lost), the figures are "-" (null
# in json), the exit code says the input was refused
printf 'too short a text' >short.txt
run "$QB" quantize -m src-F16.gguf --types Q8_0 -o lad --quality -f short.txt -t 2 --no-db
expect_rc 3
expect_err "quantbench: error: 'short.txt': the text tokenizes to 5 tokens; perplexity with -c 512 needs at least 1024 (two chunks)"
grep -Eq '^\| Q8_0 +\| lad/src-Q8_0.gguf +\| +17.80 \| +8.50 \| skipped +\| +[0-9.]+ \| +- \| +- \| +- \|$' "$T/out" ||
    { cat "$T/out"; fail "unmeasured figures"; }
run "$QB" quantize -m src-F16.gguf --types Q8_0 -o lad --quality -f short.txt -t 2 --no-db --format json
python3 -c "import json,sys; r=json.load(open(sys.argv[1]))[1]; assert r['ppl'] is None and r['kld'] is None, r" "$T/out" ||
    fail "unmeasured figures in json"
# bad input
run "$QB" quantize -m src-F16.gguf --types Q8_0 -o lad --quality
expect_rc 2
expect_err "quantbench quantize: --quality needs -f TEXT or --corpus NAME; try 'quantbench quantize --help'"
run "$QB" quantize -m src-F16.gguf --types Q8_0 -o lad --quality --corpus nope
expect_rc 3
expect_err "quantbench: error: unknown corpus 'nope': no $T/corpora/nope[.txt] (known: gpl-3, licenses, wikitext-2, or a file you put in $T/corpora)"
run "$QB" quality -m src-F16.gguf --corpus ../x
expect_rc 3
expect_err "quantbench: error: invalid corpus name '../x' (a name, not a path; -f takes a file)"
run "$QB" quality --corpus list
expect_rc 0
expect_out_has "gpl-3        /usr/share/common-licenses/GPL-3"
expect_out_has "licenses     $T/corpora/licenses.txt"
