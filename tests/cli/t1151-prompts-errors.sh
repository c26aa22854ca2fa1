# prompts: bad input is one line naming the file, the line and the field: exit 3 for a
# malformed set or answers file, 2 for an unknown grader, bad grader arguments or flags;
# nothing is graded then. An answer that could not be graded (verdict error) is exit 4
. "$(dirname "$0")/lib.sh"
chk() { # RC MESSAGE ARGS...
    local want_rc=$1 want=$2
    shift 2
    run "$QB" prompts "$@"
    expect_rc "$want_rc" "$*"
    expect_err "$want"
    [ ! -s "$T/out" ] || { cat "$T/out" >&2; fail "stdout not empty: $*"; }
}
good='{"id": "a", "category": "c", "prompt": "p", "grader": "number", "answer": 1}'
printf '%s\n' '{"id": "a", "answer": "Answer: 1"}' >ans.jsonl
set_file() { printf '%s\n' "$@" >set.jsonl; }

# the answers file
chk 3 "quantbench: error: cannot open 'nope.jsonl': No such file or directory" --grade nope.jsonl
mkdir adir
chk 3 "quantbench: error: 'adir': not a regular file" --grade adir
printf '%s\n' '{"id": "arith-mul", "answer": "345"}' 'not json' >a1.jsonl
chk 3 "quantbench: error: a1.jsonl:2: not a JSON object" --grade a1.jsonl
printf '%s\n' '{"id": "arith-mul"}' >a2.jsonl
chk 3 "quantbench: error: a2.jsonl:1: field 'answer' is missing" --grade a2.jsonl
printf '%s\n' '' '{"id": 7, "answer": "x"}' >a3.jsonl
chk 3 "quantbench: error: a3.jsonl:2: field 'id' is not a string" --grade a3.jsonl
printf '%s\n' '{"id": "arith-mul", "answer": "345"}' '{"id": "nope", "answer": "x"}' >a4.jsonl
chk 3 "quantbench: error: a4.jsonl:2: id 'nope' is not in the set 'builtin'" --grade a4.jsonl
printf '\n \n' >a5.jsonl
chk 3 "quantbench: error: 'a5.jsonl' has no answers" --grade a5.jsonl

# the set file
chk 3 "quantbench: error: cannot open 'nope-set.jsonl': No such file or directory" --grade ans.jsonl --set nope-set.jsonl
set_file "$good" '{"id": "b", "category": "c", "grader": "number", "answer": 1}'
chk 3 "quantbench: error: set.jsonl:2: field 'prompt' is missing" --grade ans.jsonl --set set.jsonl
set_file '{"id": "a", "category": 5, "prompt": "p", "grader": "number", "answer": 1}'
chk 3 "quantbench: error: set.jsonl:1: field 'category' is not a string" --grade ans.jsonl --set set.jsonl
set_file '{"id": "", "category": "c", "prompt": "p", "grader": "number", "answer": 1}'
chk 3 "quantbench: error: set.jsonl:1: field 'id' is empty" --grade ans.jsonl --set set.jsonl
set_file '{"id": "a", "category": "c", "prompt": "p", "system": 1, "grader": "number", "answer": 1}'
chk 3 "quantbench: error: set.jsonl:1: field 'system' is not a string" --grade ans.jsonl --set set.jsonl
set_file '{"id": "a", "category": "c", "prompt": "p"}'
chk 3 "quantbench: error: set.jsonl:1: field 'grader' is missing" --grade ans.jsonl --set set.jsonl
set_file '{"id": "a", "category": "c", "prompt": "p", "grader": 3}'
chk 3 "quantbench: error: set.jsonl:1: field 'grader' is not a string or an object" --grade ans.jsonl --set set.jsonl
set_file "$good" '' '{"id": "a", "category": "c", "prompt": "p"' "$good"
chk 3 "quantbench: error: set.jsonl:3: not a JSON object" --grade ans.jsonl --set set.jsonl
set_file '[1, 2]'
chk 3 "quantbench: error: set.jsonl:1: not a JSON object" --grade ans.jsonl --set set.jsonl
set_file "$good" "$good"
chk 3 "quantbench: error: set.jsonl:2: id 'a' is used twice in the set" --grade ans.jsonl --set set.jsonl
set_file '{"id": "a", "category": "c", "prompt": "p", "grader": {"grader": "exact", "answer": "x"}, "answer": "y"}'
chk 3 "quantbench: error: set.jsonl:1: unknown field 'answer' (the grader's arguments are in its object)" --grade ans.jsonl --set set.jsonl
printf '\n' >set.jsonl
chk 3 "quantbench: error: 'set.jsonl' has no prompts" --grade ans.jsonl --set set.jsonl
# its graders: exit 2
set_file '{"id": "a", "category": "c", "prompt": "p", "grader": "numbr", "answer": 1}'
chk 2 "quantbench: error: set.jsonl:1: unknown grader 'numbr' (number, exact, regex, contains-all, contains-any, keywords, code)" --grade ans.jsonl --set set.jsonl
set_file '{"id": "a", "category": "c", "prompt": "p", "grader": "number", "answr": 1}'
chk 2 "quantbench: error: set.jsonl:1: grader 'number': unknown argument 'answr'" --grade ans.jsonl --set set.jsonl
set_file '{"id": "a", "category": "c", "prompt": "p", "grader": "number"}'
chk 2 "quantbench: error: set.jsonl:1: grader 'number': 'answer' is missing or not a number" --grade ans.jsonl --set set.jsonl
set_file '{"id": "a", "category": "c", "prompt": "p", "grader": {"grader": "regex", "pattern": "a("}}'
chk 2 "quantbench: error: set.jsonl:1: grader 'regex': 'pattern' does not compile: Unmatched ( or \\(" --grade ans.jsonl --set set.jsonl
set_file '{"id": "a", "category": "c", "prompt": "p", "grader": "code", "tests": "assert 1", "timeout_s": -1}'
chk 2 "quantbench: error: set.jsonl:1: grader 'code': 'timeout_s' is not a number of seconds above 0, at most 600" --grade ans.jsonl --set set.jsonl
set_file '{"id": "a", "category": "c", "prompt": "p", "grader": "keywords", "terms": ["x", 3]}'
chk 2 "quantbench: error: set.jsonl:1: grader 'keywords': a term is not a non-empty string or a non-empty array of them" --grade ans.jsonl --set set.jsonl

# flags
chk 2 "quantbench prompts: nothing to do: give -m MODEL, --grade FILE.jsonl or --set list; try 'quantbench prompts --help'"
chk 2 "quantbench prompts: --grade needs a value; try 'quantbench prompts --help'" --grade
chk 2 "quantbench prompts: invalid output format 'csv' (md, json); try 'quantbench prompts --help'" --grade ans.jsonl -o csv
chk 2 "quantbench prompts: --set list lists the built-in set; it grades nothing; try 'quantbench prompts --help'" --set list --grade ans.jsonl
chk 2 "quantbench prompts: unknown flag '--bogus'; try 'quantbench prompts --help'" --bogus
chk 2 "quantbench prompts: unexpected argument 'extra'; try 'quantbench prompts --help'" extra

# an answer that cannot be graded (the item's tests have no assert): verdict error, exit 4,
# the other answers graded
set_file "$good" '{"id": "c", "category": "c", "prompt": "p", "grader": "code", "tests": "x = 1"}'
printf '%s\n' '{"id": "a", "answer": "Answer: 1"}' '{"id": "c", "answer": "```python\nx = 2\n```"}' >ans2.jsonl
run "$QB" prompts --grade ans2.jsonl --set set.jsonl
if grep -q '| skipped |' out; then
    expect_rc 0 "code grader skipped here"
else
    expect_rc 4 "an error verdict"
    expect_out_has "| c | c | error | 0 | code@1 | the item's tests have no assert statement |"
    expect_out_has "2 answers (set set.jsonl): 1 pass, 0 fail, 0 incomplete, 0 skipped, 1 error; mean score 0.500"
fi
echo ok
