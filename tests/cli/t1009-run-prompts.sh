# run: a prompts test is a cell per model x settings holding one row per answer (timed,
# graded), its tokens as events while it runs (the dashboard's live answers), and the
# table's prompts score (the mean grade; random weights score 0)
. "$(dirname "$0")/lib.sh"
a=$(model_dense)
cat >s.json <<JSON
{"models": ["$a"], "settings": {"t": 1, "c": 512},
 "tests": [{"test": "prompts", "max_tokens": 12, "stop": ["\\n\\n"]}]}
JSON
export QB_DB=$T/q.db
run "$QB" run s.json --no-progress -o json
expect_rc 0 "prompts suite"
python3 - "$T/out" "$QB_DB" <<'PY' || fail "prompts cell"
import json, sqlite3, sys
table = json.load(open(sys.argv[1]))
assert len(table) == 1 and table[0]['prompts'] == 0, table
db = sqlite3.connect(sys.argv[2])
cells = db.execute("select id, test, status from cells").fetchall()
assert [(t, s) for _, t, s in cells] == [('prompts builtin', 'ok')], cells
rows = [json.loads(r) for (r,) in db.execute("select row from results where cell_id = ? order by id", (cells[0][0],))]
assert [r['id'] for r in rows] == ['explain-sky', 'arith-mul', 'word-muffins', 'code-factorial', 'logic-pets']
for r in rows:
    assert r['status'] == 'ok' and r['set'] == 'builtin' and r['max_tokens'] == 12
    assert r['grade'] in ('fail', 'incomplete') and r['grader_version'] >= 1
    assert r['ttft_ms'] > 0 and r['n_gen_tokens'] >= 1 and r['stop'] == ['\n\n']
kinds = dict(db.execute("select kind, count(*) from events group by kind").fetchall())
assert kinds.get('answer') == 5, kinds
assert kinds.get('tokens', 0) >= 5, kinds
# the tokens' events spell the answers
text = {}
for (p,) in db.execute("select payload from events where kind = 'tokens' order by id"):
    p = json.loads(p)
    text[p['item']] = text.get(p['item'], '') + p['text']
assert [text.get(i, '') for i in range(5)] == [r['text'] for r in rows], (text, [r['text'] for r in rows])
PY
run "$QB" run s.json --no-progress
expect_rc 0 "rerun"
expect_err_has "1 of 1 cells are stored already"
exit 0
