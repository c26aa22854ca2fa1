# report: md, csv, json, jsonl and --runs of stored rows; html is the dashboard's page as one
# self-contained file carrying the API answers of the rows' runs (their runs, rows and
# events; a filter carries only its rows' runs), which headless Chromium renders without
# console errors. (Its charts are the front-end's: web/ and its browser test.)
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
grep -qE '(src|href)="?https?:' report.html && fail "html refers to outside files"
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
command -v chromium >/dev/null || { echo "chromium not installed"; exit 77; }
br=(chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
    --user-data-dir="$T/chrome" --enable-logging=stderr --v=0 --window-size=1000,2600)
timeout 120 "${br[@]}" --dump-dom "file://$T/report.html" >dom.html 2>chrome.err ||
    { tail -5 chrome.err >&2; fail "chromium --dump-dom"; }
grep -E 'CONSOLE|Uncaught|Content.Security.Policy|Refused|ERROR:.*(html|svg)' chrome.err && fail "console errors"
grep -q 'id="qb-data"' dom.html || fail "the rendered page lost its data"
echo ok
