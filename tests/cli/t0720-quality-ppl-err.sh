# one "±" for a perplexity: llama-perplexity's standard error (ppl_err) in quality's md and
# json, in quantize's ladder, and in report (summary, csv, ladder) and compare, which showed
# it times sqrt(chunks); quality -o json has each key once (n_ctx was there twice, the
# second the -c flag even when a --base file set the chunk) and no ppl_sd
. "$(dirname "$0")/lib.sh"
text=/usr/share/common-licenses/GPL-3 # Debian's base-files
m="$MODELS/ppl-F16.gguf"
[ -f "$m" ] || "$QB" synth -o "$m" --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 \
    --ctx 2048 --type F16 --seed 41 >&2 || fail "synth"
# json keys once, no duplicate; ppl_err only
check_json() { # FILE N_CTX
    python3 - "$1" "$2" <<'PY' || fail "quality json keys"
import json, sys
def once(pairs):
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    assert not dup, ('duplicate keys', dup)
    return dict(pairs)
r = json.loads(open(sys.argv[1]).read(), object_pairs_hook=once)[0]
assert 'ppl_sd' not in r, r.keys()
assert r['ppl_err'] > 0 and r['n_ctx'] == int(sys.argv[2]), (r['ppl_err'], r['n_ctx'])
PY
}
run "$QB" quality -m "$m" -f "$text" -c 128 --chunks 4 -t 2 -o json --db q.db --label a
expect_rc 0 "quality json"
check_json "$T/out" 128
cp "$T/out" q.json
ppl=$(json_get q.json "j[0]['ppl']")
err=$(json_get q.json "j[0]['ppl_err']")
pm4=$(python3 -c "import sys; print('%.4f ± %.5f' % (float(sys.argv[1]), float(sys.argv[2])))" "$ppl" "$err")
pm2=$(python3 -c "import sys; print('PPL %.2f ± %.2f' % (float(sys.argv[1]), float(sys.argv[2])))" "$ppl" "$err")
# md: the same figure, as llama-perplexity prints it (%.4f +/- %.5f)
run "$QB" quality -m "$m" -f "$text" -c 128 --chunks 4 -t 2 --no-db
expect_rc 0 "quality md"
expect_out_has "| $pm4 |"
# --base: the chunk is the file's (128), not -c's
run "$QB" quality -m "$m" -f "$text" -c 128 --chunks 4 -t 2 --save-base base.bin --no-db
expect_rc 0 "save base"
run "$QB" quality -m "$m" --base base.bin -c 512 -t 2 -o json --no-db
expect_rc 0 "quality --base"
check_json "$T/out" 128
# report: summary md, csv and compare show the standard error, not err * sqrt(4)
run "$QB" quality -m "$m" -f "$text" -c 128 --chunks 4 -t 2 -o json --db q.db --label b
expect_rc 0 "second quality run"
run "$QB" report --db q.db label=a
expect_rc 0 "report md"
expect_out_has "| $pm2 | ok |"
run "$QB" report --db q.db label=a -o csv
expect_rc 0 "report csv"
python3 - "$T/out" "$err" <<'PY' || fail "report csv sd"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 1 and rows[0]['metric'] == 'PPL', rows
assert abs(float(rows[0]['sd']) - float(sys.argv[2])) <= 1e-5 * float(sys.argv[2]), rows[0]['sd']
PY
run "$QB" compare label=a label=b --db q.db -o json
expect_rc 0 "compare"
python3 - "$T/out" "$err" <<'PY' || fail "compare sd"
import json, sys
l, = json.load(open(sys.argv[1]))
e = float(sys.argv[2])
assert abs(l['a_sd'] - e) <= 1e-9 * e and abs(l['b_sd'] - e) <= 1e-9 * e, (l['a_sd'], l['b_sd'], e)
PY
# a row stored before ppl_err had its name (ppl_sd): the same figure
python3 - q.db <<'PY' || fail "rewrite the stored row"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT id, row FROM results").fetchall()
assert len(rows) == 2, rows
rid, row = rows[0]
r = json.loads(row)
r['ppl_sd'] = r.pop('ppl_err')
db.execute("UPDATE results SET row = ? WHERE id = ?", (json.dumps(r), rid))
db.commit()
assert db.execute("PRAGMA integrity_check").fetchone()[0] == 'ok'
PY
run "$QB" report --db q.db label=a
expect_rc 0 "report md, older row"
expect_out_has "| $pm2 | ok |"
# quantize's ladder: ppl_err (no ppl_sd), md and report's ladder show it as quality does
run "$QB" quantize -m "$m" --types Q8_0 -o lad --quality -f "$text" -c 128 --chunks 4 -t 2 \
    --db l.db --format json
expect_rc 0 "quantize --quality"
cp "$T/out" ladder.json
python3 - ladder.json "$ppl" "$err" <<'PY' || fail "quantize rows"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r['type'] for r in rows] == ['F16', 'Q8_0'], rows
for r in rows:
    assert 'ppl_sd' not in r and r['ppl_err'] > 0, r
src = rows[0]
assert abs(src['ppl'] - float(sys.argv[2])) <= 1e-6 * src['ppl'], src['ppl']
assert abs(src['ppl_err'] - float(sys.argv[3])) <= 1e-6 * src['ppl_err'], src['ppl_err']
PY
lad=$(json_get ladder.json "'%.4f ± %.5f' % (j[1]['ppl'], j[1]['ppl_err'])")
run "$QB" report --db l.db
expect_rc 0 "report ladder"
grep "| 1 | Q8_0 |" "$T/out" | grep -qF "| $lad |" || { cat "$T/out"; fail "ladder PPL ± of Q8_0"; }
python3 - l.db <<'PY' || fail "ladder database"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == 'ok'
kinds = dict(db.execute("SELECT kind, count(*) FROM results GROUP BY kind").fetchall())
assert kinds == {'quality': 2, 'quantize': 2}, kinds
PY
