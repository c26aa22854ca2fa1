# prompts --grade: answers in a file graded against the built-in set or a set file, as an
# md table with a summary line or as json; --set list shows the built-in set and the format
. "$(dirname "$0")/lib.sh"
python3 - <<'PY'
import json
rows = [
    ("explain-sky", "Sunlight is scattered by the molecules of the air: shorter wavelengths scatter most."),
    ("arith-mul", "15 x 23 = 15 x 20 + 15 x 3 = 300 + 45\nAnswer: 345\nCheck: 3 + 4 + 5 = 12"),
    ("arith-mul", "<think>Perhaps 335?</think>The product is **345**. Check: 3 + 4 + 5 = 12"),
    ("word-muffins", "Monday: 48 x $3 = $144. Tuesday: 60 muffins, $180.\nAnswer: $324.00"),
    ("logic-pets", "Bob has the fish and Alice not the dog.\n\n**Answer: Alice**"),
    ("logic-pets", "<think>Alice or Carol"),
    ("explain-sky", "It | reflects the sea."),
]
with open("answers.jsonl", "w") as f:
    for i, a in rows:
        f.write(json.dumps({"id": i, "answer": a, "model": "m"}) + "\n")
PY
run "$QB" prompts --grade answers.jsonl
expect_rc 0 "grade"
cat >want.md <<'EOF'
| id | category | verdict | score | grader | detail |
|---|---|---|---:|---|---|
| explain-sky | explanation | pass | 1 | keywords@1 | 4/4 terms (1.00) |
| arith-mul | arithmetic | pass | 1 | number@1 | answer 345 (from 'Answer:') |
| arith-mul | arithmetic | fail | 0 | number@1 | answer 12 (the last number; no answer marker), expected 345 |
| word-muffins | word problem | pass | 1 | number@1 | answer 324 (from 'Answer:') |
| logic-pets | logic | pass | 1 | exact@1 | 'Alice' (from 'Answer:') |
| logic-pets | logic | incomplete | 0 | exact@1 | a <think> is never closed (the answer was cut off in its reasoning) |
| explain-sky | explanation | fail | 0 | keywords@1 | 0/4 terms (0.00, pass from 0.75); missing 'scatter', 'wavelength', 'atmosphere', 'Rayleigh' |

7 answers (set builtin): 4 pass, 2 fail, 1 incomplete, 0 skipped, 0 error; mean score 0.571
EOF
diff want.md out >&2 || fail "md table"
[ ! -s err ] || { cat err >&2; fail "stderr not empty"; }

# a cell with '|' in it stays one cell: the set's own text is escaped
printf '%s\n' '{"id": "p|ipe", "category": "a|b", "prompt": "x", "grader": "contains-any", "terms": ["|"]}' >pipe.jsonl
printf '%s\n' '{"id": "p|ipe", "answer": "a | b"}' >pipe-ans.jsonl
run "$QB" prompts --set pipe.jsonl --grade pipe-ans.jsonl
expect_rc 0 "pipe"
expect_out_has '| p\|ipe | a\|b | pass | 1 | contains-any@1 | found '"'"'\|'"'"' |'

# json: every answer with its verdict, score, grader, version, detail and line
run "$QB" prompts --grade answers.jsonl -o json
expect_rc 0 "json"
python3 - "$T/out" <<'PY' || fail "json"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r["verdict"] for r in rows] == ["pass", "pass", "fail", "pass", "pass", "incomplete", "fail"], rows
assert rows[1] == {"id": "arith-mul", "category": "arithmetic", "verdict": "pass", "score": 1,
                   "grader": "number", "grader_version": 1,
                   "detail": "answer 345 (from 'Answer:')", "line": 2}, rows[1]
assert [r["line"] for r in rows] == list(range(1, 8))
PY

# the coding item: its code runs with the tests (or is skipped where it cannot run)
python3 - <<'PY'
import json
good = "```python\ndef factorial(n):\n    if n < 0:\n        raise ValueError(n)\n    r = 1\n    for i in range(2, n + 1):\n        r *= i\n    return r\n```"
bad = "```python\ndef factorial(n):\n    return 1 if n <= 1 else n * factorial(n - 1)\n```"
with open("code.jsonl", "w") as f:
    f.write(json.dumps({"id": "code-factorial", "answer": good}) + "\n")
    f.write(json.dumps({"id": "code-factorial", "answer": bad}) + "\n")
PY
run "$QB" prompts --grade code.jsonl -o json
expect_rc 0 "code"
python3 - "$T/out" <<'PY' || fail "code rows"
import json, sys
rows = json.load(open(sys.argv[1]))
if rows[0]["verdict"] == "skipped":
    print("code grader skipped here:", rows[0]["detail"])
    assert rows[1]["verdict"] == "skipped"
else:
    assert rows[0]["verdict"] == "pass" and rows[0]["detail"] == "6/6 tests passed", rows[0]
    assert rows[1]["verdict"] == "fail", rows[1]
    assert rows[1]["detail"].startswith("5/6 tests passed; line 14 (assert raises_value_error(-1)): AssertionError"), rows[1]
PY
# no interpreter: skipped, not failed, and still exit 0
QB_PYTHON=/nonexistent/python3 run "$QB" prompts --grade code.jsonl
expect_rc 0 "no python"
expect_out_has "| code-factorial | coding | skipped | 0 | code@1 | no Python interpreter ('/nonexistent/python3') |"

# a set file: a system prompt, a grader object, arguments on the line
cat >set.jsonl <<'EOF'
{"id": "capital", "category": "geography", "system": "Be brief.", "prompt": "Capital of France?", "grader": {"grader": "exact", "answer": ["Paris", "Paris, France"]}}

{"id": "sum", "category": "arithmetic", "prompt": "1 + 1?", "grader": "number", "answer": "2", "tolerance": 0}
EOF
printf '%s\n' '{"id": "sum", "answer": "#### 2"}' '{"id": "capital", "answer": "paris, france."}' >set-ans.jsonl
run "$QB" prompts --grade set-ans.jsonl --set set.jsonl
expect_rc 0 "set file"
expect_out_has "| sum | arithmetic | pass | 1 | number@1 | answer 2 (from '####') |"
expect_out_has "| capital | geography | pass | 1 | exact@1 | 'paris, france' (the whole answer) |"
expect_out_has "2 answers (set set.jsonl): 2 pass, 0 fail, 0 incomplete, 0 skipped, 0 error; mean score 1.000"

# a UTF-8 byte order mark, CRLF line ends and blank lines are fine in both files
printf '\xef\xbb\xbf%s\r\n\r\n  \r\n%s\r\n' '{"id": "sum", "category": "c", "prompt": "p", "grader": "number", "answer": 2}' \
    '{"id": "two", "category": "c", "prompt": "p", "grader": "contains-any", "terms": ["two"]}' >crlf.jsonl
printf '\xef\xbb\xbf%s\r\n\r\n%s\r\n' '{"id": "two", "answer": "Two."}' '{"id": "sum", "answer": "Answer: 2"}' >crlf-ans.jsonl
run "$QB" prompts --grade crlf-ans.jsonl --set crlf.jsonl -o json
expect_rc 0 "crlf"
[ "$(json_get "$T/out" '[(r["id"], r["verdict"], r["line"]) for r in j]')" = "[('two', 'pass', 1), ('sum', 'pass', 3)]" ] ||
    { cat "$T/out" >&2; fail "BOM / CRLF"; }

# --set list: the built-in set, then how to write a set file
run "$QB" prompts --set list
expect_rc 0 "list"
head -1 out | grep -qx "builtin: the built-in set (the default of --set), 5 prompts" || fail "list head"
for id in explain-sky arith-mul word-muffins code-factorial logic-pets; do
    expect_out_has "  $id "
done
expect_out_has "A set file (--set FILE) is JSONL, one prompt a line:"
expect_out_has "  code          tests (Python; each top-level assert is a test)"
run "$QB" prompts --help
expect_rc 0 "help"
expect_out_has "usage: quantbench prompts --grade FILE.jsonl [--set NAME|FILE] [-o md|json]"
expect_out_has "Exit codes:"
echo ok
