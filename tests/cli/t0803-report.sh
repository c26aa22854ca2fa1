# report: md, csv, json, jsonl and --runs of stored rows; html is one self-contained page
# that headless Chromium renders without console errors, with its charts (t/s against
# depth, threads, B and model size) present in the rendered DOM and in a screenshot
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
grep -q '<script' report.html && fail "html has scripts"
grep -qE '(src|href)="https?:' report.html && fail "html refers to outside files"
command -v chromium >/dev/null || { echo "chromium not installed"; exit 77; }
br=(chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
    --user-data-dir="$T/chrome" --enable-logging=stderr --v=0 --window-size=1000,2600)
timeout 120 "${br[@]}" --dump-dom "file://$T/report.html" >dom.html 2>chrome.err ||
    { tail -5 chrome.err >&2; fail "chromium --dump-dom"; }
grep -E 'CONSOLE|Uncaught|ERROR:.*(html|svg)' chrome.err && fail "console errors"
python3 - dom.html <<'PY' || fail "charts missing in the rendered page"
import re, sys
d = open(sys.argv[1]).read()
charts = re.findall(r'<svg[^>]*class="qb-chart".*?</svg>', d, re.S)
assert len(charts) == 4, len(charts)
titles = [re.search(r'class="title"[^>]*>([^<]*)<', c).group(1) for c in charts]
assert titles == ['tokens/s against context depth', 'tokens/s against threads',
                  'tokens/s against parallel sequences', 'model size against tokens/s'], titles
for c in charts:
    assert len(re.findall(r'<g class="series"', c)) >= 2 and len(re.findall('<circle', c)) >= 3, c[:200]
assert len(re.findall(r'<tr>', d)) == 32, len(re.findall(r'<tr>', d))
PY
timeout 120 "${br[@]}" --screenshot="$T/shot.png" "file://$T/report.html" >/dev/null 2>shot.err ||
    { tail -5 shot.err >&2; fail "chromium --screenshot"; }
python3 - shot.png "$(cd "$(dirname "$0")" && pwd)" <<'PY' || fail "screenshot"
import sys
sys.path.insert(0, sys.argv[2])
from png import read_png
w, h, bpp, rows = read_png(sys.argv[1])
assert (w, h) == (1000, 2600), (w, h)
# the chart lines: pixels of the first series' colour (#1f77b4)
blue = sum(1 for r in rows for x in range(0, w * bpp, bpp) if r[x + 2] > 150 and r[x] < 100)
assert blue > 500, blue
PY
echo ok
