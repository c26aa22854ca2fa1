# import: a number out of range (n_prompt 1e30, which became INT64_MIN through an undefined
# cast), not finite or, where stored as an integer, not whole is refused in every format with
# the file and line, and nothing of it is stored; files that start with a UTF-8 byte order
# mark import as without it
. "$(dirname "$0")/lib.sh"
seed=$(cd "$(dirname "$0")/../fuzz/seed-import" && pwd)
q() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' quantbench.db "$1"; }

python3 - "$seed" <<'PY'
import json, sys
seed = sys.argv[1]
r = json.loads(open(seed + '/llama-bench.jsonl').readline())
def jsonl(name, rows):
    open(name, 'w').write(''.join(json.dumps(x) + '\n' for x in rows))
jsonl('big.jsonl', [r, dict(r, n_prompt=1e30)])
open('inf.jsonl', 'w').write(open('big.jsonl').read().replace('1e+30', '1e999'))
jsonl('half.jsonl', [r, r, dict(r, n_depth=2.5)])
jsonl('reps.jsonl', [dict(r, reps=1e300)])  # ours: a count compare uses
json.dump([r, dict(r, n_gen=-1e300)], open('big.json', 'w'), indent=1)
lines = open(seed + '/llama-bench.csv').read().split('\n')
lines[2] = lines[2].replace('"512","1","0x0"', '"512","1e30","0x0"', 1)
open('big.csv', 'w').write('\n'.join(lines))
sql = open(seed + '/llama-bench.sql').read().split('\n')
i = next(k for k, l in enumerate(sql) if l.startswith('INSERT'))
sql[i] = sql[i].replace("'1847041'", "'1e30'", 1)
open('big.sql', 'w').write('\n'.join(sql))
md = open(seed + '/sweep-bench.md').read().split('\n')
md[6] = md[6].replace('   512 |    1.301', '  1e30 |    1.301', 1)
open('big.md', 'w').write('\n'.join(md))
lb = open(seed + '/llama-bench.md').read().replace('pp8 |', 'pp99999999999999999999 |', 1)
open('big-test.md', 'w').write(lb)
mem = {"models": [{"n_ctx": 1e30, "devices": [], "total_bytes": 1, "model": "m.gguf"}]}
open('mem.json', 'w').write(json.dumps(mem, indent=1))
PY
grep -q "'1e30'" big.sql && grep -q '"1e30"' big.csv && grep -q '1e30 |' big.md || fail "test files"
# a good file first: the bad one must not leave it stored either
bad() { # file message
    run "$QB" import "$seed/llama-bench.jsonl" "$1"
    expect_rc 3 "$1"
    expect_err "quantbench: error: '$1' $2"
}
bad big.jsonl "line 2: 'n_prompt' = 1e+30 is out of range (more than 2^53 in magnitude)"
bad inf.jsonl "line 2: the value of 'n_prompt' is not a finite number"
bad half.jsonl "line 3: 'n_depth' = 2.5 is not a whole number"
bad reps.jsonl "line 1: 'reps' = 1e+300 is out of range (more than 2^53 in magnitude)"
bad big.json "line 53: 'n_gen' = -1e+300 is out of range (more than 2^53 in magnitude)"
bad big.csv "line 3: 'n_threads' = 1e+30 is out of range (more than 2^53 in magnitude)"
bad big.sql "line 45: 'avg_ns' = 1e+30 is out of range (more than 2^53 in magnitude)"
bad big.md "line 7: 'n_kv' = 1e+30 is out of range (more than 2^53 in magnitude)"
bad big-test.md "line 3: bad value 'pp99999999999999999999' in column 'test'"
bad mem.json "line 1: 'n_ctx' = 1e+30 is out of range (more than 2^53 in magnitude)"
[ ! -e quantbench.db ] || [ "$(q 'SELECT count(*) FROM results')" = 0 ] || fail "a bad file stored rows"

# a UTF-8 byte order mark before each format
n=0
for f in llama-bench.json llama-bench.jsonl llama-bench.csv llama-bench.sql llama-bench.md \
    batched-bench.md batched-bench.jsonl sweep-bench.md sweep-bench.jsonl; do
    printf '\xef\xbb\xbf' >"bom-$f"
    cat "$seed/$f" >>"bom-$f"
    run "$QB" import "bom-$f" --label bom
    expect_rc 0 "BOM $f"
    run "$QB" import "$seed/$f" --label plain
    expect_rc 0 "$f"
    n=$((n + 1))
done
[ "$(q 'SELECT count(*) FROM runs')" = $((2 * n)) ] || fail "runs"
run "$QB" report --all -o json
python3 - "$T/out" <<'PY' || fail "a file with a byte order mark differs from the same file without"
import json, sys
rows = json.load(open(sys.argv[1]))
bom = [(r['kind'], r['line'], r['row']) for r in rows if r['label'] == 'bom']
plain = [(r['kind'], r['line'], r['row']) for r in rows if r['label'] == 'plain']
assert len(bom) == len(plain) > 0 and bom == plain, (len(bom), len(plain))
PY
[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
echo ok
