# import: ctxmax's and mem's -o json output (one pretty-printed object per model, or mem's one
# document of all models) is recognised from its content and stored as rows of kind ctxmax
# and mem with every value; compare and report read them
. "$(dirname "$0")/lib.sh"
d=$(model_dense)
m=$(model_moe)
q() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' quantbench.db "$1"; }
run "$QB" ctxmax -m "$d" --max 1024 --step 256 -t 2 -o json --no-db
expect_rc 0 "ctxmax dense"
cp "$T/out" c1.json
run "$QB" ctxmax -m "$m" --max 1024 --step 256 -t 2 -o json --no-db
expect_rc 0 "ctxmax moe"
cat c1.json "$T/out" >c2.json # two models' objects one after the other
run "$QB" mem -m "$d" -m "$m" -c 1024 --budget 1GiB --no-dry-run -o json
expect_rc 0 "mem"
cp "$T/out" mem.json

run "$QB" import c1.json --label one
expect_rc 0 "import c1.json"
expect_out_has "imported 'c1.json': quantbench ctxmax json, 1 row, run 1"
run "$QB" import c2.json --label two
expect_rc 0 "import c2.json"
expect_out_has "imported 'c2.json': quantbench ctxmax json, 2 rows, run 2"
run "$QB" import mem.json --label mem
expect_rc 0 "import mem.json"
expect_out_has "imported 'mem.json': quantbench mem json, 2 rows, run 3"
[ "$(q 'SELECT count(*) FROM results')" = 5 ] || fail "rows"
[ "$(q "SELECT count(*) FROM results WHERE kind = 'ctxmax'")" = 3 ] || fail "ctxmax rows"
[ "$(q "SELECT count(*) FROM results WHERE kind = 'mem'")" = 2 ] || fail "mem rows"
[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"

run "$QB" report --all -o json
expect_rc 0 "report"
python3 - "$T/out" c1.json c2.json mem.json <<'PY' || fail "imported values differ from the files"
import json, sys
rows = json.load(open(sys.argv[1]))
def objects(path):  # consecutive JSON values
    text, dec, out, i = open(path).read(), json.JSONDecoder(), [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        o, i = dec.raw_decode(text, i)
        out.append(o)
    return out
by = {}
for r in rows:
    by.setdefault(r['label'], []).append(r)
want = {'one': objects(sys.argv[2]), 'two': objects(sys.argv[3])}
for label, src in want.items():
    got = by[label]
    assert len(got) == len(src), (label, len(got))
    for g, s in zip(got, src):
        assert g['kind'] == 'ctxmax' and g['imported'], g
        for k, v in s.items():
            assert g['row'][k] == v, (label, k, g['row'][k], v)
assert [g['line'] for g in by['two']] == [1, 1 + open(sys.argv[2]).read().count('\n')]
mem = json.load(open(sys.argv[4]))
got = by['mem']
assert len(got) == 2 and all(g['kind'] == 'mem' for g in got)
for g, s in zip(got, mem['models']):
    for k, v in s.items():
        assert g['row'][k] == v, (k, g['row'][k], v)
    assert g['row']['budget'] == mem['budget'] and g['row']['model_filename'] == s['model']
    assert g['settings']['n_ctx'] == 1024, g['settings']
PY
run "$QB" compare one two
expect_rc 0 "compare ctxmax"
expect_out_has "| ctxmax | n_ctx_max |"
expect_out_has "1 matched"
run "$QB" compare mem mem
expect_rc 0 "compare mem"
expect_out_has "| mem | total_bytes |"
echo ok
