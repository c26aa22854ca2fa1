# run: sweep, batched and ctxmax cells store the rows their commands store (the same keys
# in the same order, the same settings), one cell holding all of a sweep's depths or a
# batched grid's combinations
. "$(dirname "$0")/lib.sh"
a=$(model_dense)
cat >s.json <<JSON
{"models": ["$a"],
 "settings": {"t": 1, "ub": 64, "b": 64},
 "tests": [{"test": "sweep", "c": 256, "n": 8},
           {"test": "batched", "c": 512, "npp": 32, "ntg": 8, "npl": "1,2"},
           {"test": "ctxmax", "step": 256, "max": 1024}]}
JSON
export QB_DB=$T/q.db
run "$QB" run s.json --no-progress
expect_rc 0 "run"
"$QB" sweep -m "$a" -t 1 -ub 64 -b 64 -c 256 -n 8 -o json --no-db >sweep.json 2>/dev/null || fail "sweep"
"$QB" batched -m "$a" -t 1 -ub 64 -b 64 -c 512 -npp 32 -ntg 8 -npl 1,2 -o json --no-db >batched.json 2>/dev/null || fail "batched"
"$QB" ctxmax -m "$a" -t 1 -ub 64 -b 64 --step 256 --max 1024 -o json --no-db >ctxmax.json 2>/dev/null || fail "ctxmax"
python3 - "$QB_DB" <<'PY' || fail "rows"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
cells = db.execute("select id, test, status from cells order by id").fetchall()
assert [(t, s) for _, t, s in cells] == [('sweep', 'ok'), ('batched', 'ok'), ('ctxmax', 'ok')], cells
def rows(cell):
    return [json.loads(r) for (r,) in db.execute("select row from results where cell_id = ? order by id", (cell,))]
timing = ('t_', 'speed', 'samples', 'ns', 'time', 'rss', 'noisy', 'load', 'mem_', 'probes', 'gpu', 'test_time', 'host', 'free')
def same(kind, mine, theirs):
    assert len(mine) == len(theirs), (kind, len(mine), len(theirs))
    for m, t in zip(mine, theirs):
        assert list(m.keys()) == list(t.keys()), (kind, [k for k in m if k not in t], [k for k in t if k not in m])
        for k in m:
            if not any(x in k for x in timing) and k not in ('t', 'model', 'model_filename'):
                assert m[k] == t[k], (kind, k, m[k], t[k])
same('sweep', rows(cells[0][0]), json.load(open('sweep.json')))
same('batched', rows(cells[1][0]), json.load(open('batched.json')))
c = json.load(open('ctxmax.json'))
same('ctxmax', rows(cells[2][0]), c if isinstance(c, list) else [c])
PY
exit 0
