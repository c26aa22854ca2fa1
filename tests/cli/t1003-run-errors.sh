# run: a bad suite is refused before anything runs, with one line naming the file, the JSON
# path and what is wrong: exit 2 for what the suite says, 3 for what it names (a missing
# file or model); nothing is stored
. "$(dirname "$0")/lib.sh"
a=$(model_dense)
export QB_DB=$T/q.db
chk() { # RC MESSAGE SUITE-TEXT [FLAGS]
    local want_rc=$1 want=$2 text=$3
    shift 3
    printf '%s\n' "$text" >s.json
    run "$QB" run s.json "$@"
    expect_rc "$want_rc" "$text"
    expect_err "$want"
}
ok_tests='"tests": [{"test": "bench", "p": 16, "n": 0, "r": 1}]'
chk 3 "quantbench: error: s.json: not valid JSON (line 2)" '{"models": [
  "a" "b"]}'
chk 2 "quantbench: error: s.json: is an array (expected an object with models and tests)" '[1, 2]'
chk 2 "quantbench: error: s.json: colour: unknown key" "{\"colour\": 1, \"models\": [\"$a\"], $ok_tests}"
chk 2 "quantbench: error: s.json: models: missing" "{$ok_tests}"
chk 2 "quantbench: error: s.json: tests: missing" "{\"models\": [\"$a\"]}"
chk 2 "quantbench: error: s.json: tests: is an object (expected a list of tests)" "{\"models\": [\"$a\"], \"tests\": {}}"
chk 2 "quantbench: error: s.json: tests: empty list" "{\"models\": [\"$a\"], \"tests\": []}"
chk 2 "quantbench: error: s.json: models: empty list" "{\"models\": [], $ok_tests}"
chk 3 "quantbench: error: s.json: models[0]: cannot open 'nope.gguf': No such file or directory" "{\"models\": [\"nope.gguf\"], $ok_tests}"
chk 3 "quantbench: error: s.json: models[1]: 'x*.gguf' matches no file" "{\"models\": [\"$a\", \"x*.gguf\"], $ok_tests}"
chk 2 "quantbench: error: s.json: models[0]: is a number (expected a path, {\"path\": ...} or {\"ladder\": ...})" "{\"models\": [7], $ok_tests}"
chk 2 "quantbench: error: s.json: models[0].path: missing (expected the model's path)" "{\"models\": [{\"quant\": \"Q4_0\"}], $ok_tests}"
chk 2 "quantbench: error: s.json: models[0].size: unknown key" "{\"models\": [{\"path\": \"$a\", \"size\": 1}], $ok_tests}"
chk 2 "quantbench: error: s.json: settings.threadz: unknown key" "{\"models\": [\"$a\"], \"settings\": {\"threadz\": 2}, $ok_tests}"
chk 2 "quantbench: error: s.json: settings.t: empty list" "{\"models\": [\"$a\"], \"settings\": {\"t\": []}, $ok_tests}"
chk 2 "quantbench: error: s.json: settings.t: invalid value '0' for -t (expected an integer in 1..4096)" "{\"models\": [\"$a\"], \"settings\": {\"t\": \"0\"}, $ok_tests}"
chk 2 "quantbench: error: s.json: settings.fa: invalid value 'maybe' for -fa" "{\"models\": [\"$a\"], \"settings\": {\"fa\": \"on,maybe\"}, $ok_tests}"
chk 2 "quantbench: error: s.json: settings.ctk: is an object (expected a string, number, boolean or list)" "{\"models\": [\"$a\"], \"settings\": {\"ctk\": {}}, $ok_tests}"
chk 2 "quantbench: error: s.json: tests[0].test: missing (one of bench, sweep, batched, mem, ctxmax, quality, prompts)" "{\"models\": [\"$a\"], \"tests\": [{\"p\": 1}]}"
chk 2 "quantbench: error: s.json: tests[0].test: unknown test 'speed' (expected bench, sweep, batched, mem, ctxmax, quality or prompts)" "{\"models\": [\"$a\"], \"tests\": [{\"test\": \"speed\"}]}"
chk 2 "quantbench: error: s.json: tests[0].p: is an object (expected a number, a list or a string)" "{\"models\": [\"$a\"], \"tests\": [{\"test\": \"bench\", \"p\": {}}]}"
chk 2 "quantbench: error: s.json: tests[0].p: invalid value 'x' for -p (expected an integer in 0..16777216)" "{\"models\": [\"$a\"], \"tests\": [{\"test\": \"bench\", \"p\": \"x\"}]}"
chk 2 "quantbench: error: s.json: tests[0].r: 0 is not an integer in 1..100000" "{\"models\": [\"$a\"], \"tests\": [{\"test\": \"bench\", \"r\": 0}]}"
chk 2 "quantbench: error: s.json: tests[0].colour: unknown key" "{\"models\": [\"$a\"], \"tests\": [{\"test\": \"mem\", \"colour\": 1}]}"
chk 3 "quantbench: error: s.json: tests[0].file: 'nope.txt' is not a readable file" "{\"models\": [\"$a\"], \"tests\": [{\"test\": \"quality\", \"file\": \"nope.txt\"}]}"
chk 2 "quantbench: error: s.json: models[0].ladder.types[1]: 'Q9_9' is not a llama.cpp quantization type" "{\"models\": [{\"ladder\": {\"source\": \"$a\", \"types\": [\"Q8_0\", \"Q9_9\"]}}], $ok_tests}"
chk 3 "quantbench: error: s.json: tests[0].set: cannot open 'nope.jsonl': No such file or directory" "{\"models\": [\"$a\"], \"tests\": [{\"test\": \"prompts\", \"set\": \"nope.jsonl\"}]}"
chk 2 "quantbench: error: s.json: tests[0].temp: expected a number in 0..100" "{\"models\": [\"$a\"], \"tests\": [{\"test\": \"prompts\", \"temp\": \"hot\"}]}"
chk 2 "quantbench: error: s.json: tests[0].p: duplicate key" "{\"models\": [\"$a\"], \"tests\": [{\"test\": \"bench\", \"p\": 16, \"p\": 32}]}"
chk 2 "quantbench: error: s.json: settings.threads: the same setting as 't'" "{\"models\": [\"$a\"], \"settings\": {\"t\": 1, \"threads\": 2}, $ok_tests}"
chk 2 "quantbench: error: s.json: tests[0].pg: expected \"PP,TG\" with two positive integers, got an array" "{\"models\": [\"$a\"], \"tests\": [{\"test\": \"bench\", \"pg\": [[16.5, 4]]}]}"
QB_CORPUS_DIR=$T/corpora chk 3 "quantbench: error: s.json: tests[0].corpus: unknown corpus 'nosuch': no $T/corpora/nosuch[.txt] (known: gpl-3, licenses, wikitext-2, or a file you put in $T/corpora)" "{\"models\": [\"$a\"], \"tests\": [{\"test\": \"quality\", \"corpus\": \"nosuch\"}]}"
"$QB" quantize -m "$a" --types Q8_0 -o q8 --no-db >/dev/null 2>&1 || fail "quantize"
q8=$(ls q8/*-Q8_0.gguf)
chk 3 "quantbench: error: s.json: models[0].ladder.source: '$q8' is Q8_0 already: a ladder is made from F32, F16 or BF16 weights" "{\"models\": [{\"ladder\": {\"source\": \"$q8\", \"types\": [\"Q4_0\"]}}], $ok_tests}"
touch afile
chk 3 "quantbench: error: s.json: models[0].ladder.dir: 'afile' is not a directory" "{\"models\": [{\"ladder\": {\"source\": \"$a\", \"types\": [\"Q4_0\"], \"dir\": \"afile\"}}], $ok_tests}"
printf '{"models": ["%s"], %s}\0junk' "$a" "$ok_tests" >nul.json
run "$QB" run nul.json
expect_rc 3 "a NUL byte"
expect_err "quantbench: error: nul.json: contains a NUL byte (not a JSON text)"
# a literal file name with glob characters is that file
cp "$a" 'br[1].gguf'
printf '{"models": ["br[1].gguf"], %s}\n' "$ok_tests" >lit.json
run "$QB" run lit.json --dry-run
expect_rc 0 "a literal name with ["
grep -qF '| br[1].gguf |' "$T/out" || { cat "$T/out"; fail "the literal file"; }
# a missing suite, a directory, flags
run "$QB" run nope.json
expect_rc 3 "missing suite"
expect_err "quantbench: error: cannot open 'nope.json': No such file or directory"
run "$QB" run
expect_rc 2 "no suite"
expect_err "quantbench run: no suite: give SUITE.json, or --source F16.gguf for the built-in one (--example prints it); try 'quantbench run --help'"
run "$QB" run s.json --bogus
expect_rc 2
expect_err "quantbench run: unknown flag '--bogus'; try 'quantbench run --help'"
run "$QB" run s.json -o jsonl
expect_rc 2
expect_err "quantbench run: invalid output format 'jsonl' (md, csv, json, html); try 'quantbench run --help'"
# none of these stored anything
[ ! -f "$QB_DB" ] || [ "$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from runs').fetchone()[0])" "$QB_DB")" = 0 ] ||
    fail "a refused suite left a run"
# --example is a valid suite (on a model that exists)
run "$QB" run --example --source "$a"
expect_rc 0
cp "$T/out" ex.json
run "$QB" run ex.json --dry-run
expect_rc 0 "the example parses"
grep -qF '| Q8_0' "$T/out" || grep -qF -- '-Q8_0.gguf' "$T/out" || { cat "$T/out"; fail "example's ladder"; }
exit 0
