# prompts --regrade RUN: a stored run's answers graded again with today's graders, without
# the model (answers need not be generated twice): against the set they came from, or the
# --set given; a run that is not there, or holds no answers, is one line and exit 3
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
cat >old.jsonl <<'J'
{"id": "q1", "category": "c", "prompt": "Say hello.", "grader": "contains-any", "terms": ["zzzqqq"]}
{"id": "q2", "category": "c", "prompt": "Count to three.", "grader": "contains-any", "terms": ["zzzqqq"]}
J
export QB_DB=$T/q.db
run "$QB" prompts -m "$m" -c 256 -t 1 --max-tokens 6 --set old.jsonl -o json
expect_rc 0 "answers"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert [x['grade'] for x in r] == ['fail', 'fail'], r" "$T/out" ||
    fail "stored grades"
# the same answers, today's graders: the set file as it is now
cat >old.jsonl <<'J'
{"id": "q1", "category": "c", "prompt": "Say hello.", "grader": "regex", "pattern": "."}
{"id": "q2", "category": "c", "prompt": "Count to three.", "grader": "regex", "pattern": "zzzqqq"}
J
run "$QB" prompts --regrade 1 -o json
expect_rc 0 "regrade"
python3 - "$T/out" <<'PY' || { cat "$T/out"; fail "regraded"; }
import json, sys
r = json.load(open(sys.argv[1]))
assert [(x['id'], x['verdict'], x['grader']) for x in r] == [('q1', 'pass', 'regex'), ('q2', 'fail', 'regex')], r
PY
# another set given: its graders
run "$QB" prompts --regrade 1 --set builtin
expect_rc 3 "ids not in the set"
expect_err "quantbench: error: stored answer 'q1' is not in set 'builtin'"
run "$QB" prompts --regrade 7
expect_rc 3
expect_err "quantbench: error: no run '7' in the database"
"$QB" bench -m "$m" -p 8 -n 0 -r 1 -t 1 >/dev/null 2>&1 || fail "bench"
run "$QB" prompts --regrade 2
expect_rc 3
expect_err "quantbench: error: run 2 holds no answers (prompts rows)"
exit 0
