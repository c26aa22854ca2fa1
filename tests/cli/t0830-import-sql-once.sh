# import: our bench -o sql (every row in llama_bench and in quantbench_bench) is stored once per
# row, with every field of ours typed again (samples as numbers, booleans, memory detail); a
# file whose bytes were imported before is skipped with a warning unless --force, also when it
# comes twice on one command line; a cut-off file of ours keeps its last llama_bench row; an
# INSERT into another table is refused; every row present and the database intact
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
run "$QB" bench -m "$m" -p 16 -n 4 -r 2 -t 1,2 -o sql --no-db
expect_rc 0 "bench -o sql"
cp "$T/out" b.sql
[ "$(grep -c '^INSERT INTO llama_bench ' b.sql)" = 4 ] &&
    [ "$(grep -c '^INSERT INTO quantbench_bench ' b.sql)" = 4 ] || fail "bench -o sql: both tables"
run "$QB" bench -m "$m" -p 16 -n 4 -r 2 -t 1,2 -o jsonl --no-db
expect_rc 0 "bench -o jsonl"
cp "$T/out" b.jsonl

q() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' quantbench.db "$1"; }
intact() { [ "$(q 'PRAGMA integrity_check')" = ok ] || fail "integrity_check: $1"; }

run "$QB" import b.sql --label ours
expect_rc 0 "import b.sql"
expect_out_has "imported 'b.sql': quantbench bench sql, 4 rows, run 1"
[ "$(q 'SELECT count(*) FROM results')" = 4 ] || fail "rows of b.sql: $(q 'SELECT count(*) FROM results')"
intact "after b.sql"
run "$QB" report label=ours -o json
expect_rc 0 "report"
python3 - "$T/out" b.jsonl <<'PY' || fail "rows of our sql differ from the same run's fields"
import json, sys
got = [r['row'] for r in json.load(open(sys.argv[1]))]
want = [json.loads(l) for l in open(sys.argv[2])]
assert len(got) == 4, len(got)
tests = sorted((r['n_prompt'], r['n_gen'], r['n_threads']) for r in got)
assert tests == [(0, 4, 1), (0, 4, 2), (16, 0, 1), (16, 0, 2)], tests
for r in got:
    assert isinstance(r['samples_ts'], list) and len(r['samples_ts']) == 2, r['samples_ts']
    assert all(isinstance(x, (int, float)) for x in r['samples_ts'] + r['samples_ns'])
    assert r['cpu_strict'] is False and r['mmap'] is True and r['warmup'] is True
    assert isinstance(r['mem_buffers'], list) and r['mem_buffers'][0]['buft'], r['mem_buffers']
    assert r['status'] == 'ok' and r['reps'] == 2 and isinstance(r['model_id'], str)
# the same keys and types as the run's jsonl (values differ: another run)
w = want[0]
for k, v in w.items():
    assert k in got[0], k
    assert type(got[0][k]) == type(v) or isinstance(v, float), (k, got[0][k], v)
PY

# the same bytes again, under another name: skipped, nothing stored
cp b.sql copy.sql
run "$QB" import copy.sql --label again
expect_rc 0 "re-import"
expect_err "quantbench: warning: 'copy.sql' is already stored as run 1 (the same content): skipped; --force imports it again"
[ ! -s "$T/out" ] || fail "a skipped file reported as imported: $(cat "$T/out")"
[ "$(q 'SELECT count(*) FROM results')" = 4 ] || fail "a re-import stored rows"
[ "$(q 'SELECT count(*) FROM runs')" = 1 ] || fail "a re-import made a run"
# --force stores it again
run "$QB" import copy.sql --force --label forced
expect_rc 0 "--force"
expect_out_has "imported 'copy.sql': quantbench bench sql, 4 rows, run 2"
[ "$(q 'SELECT count(*) FROM results')" = 8 ] || fail "--force"

# twice on one command line, beside a new file: the new one and the first copy only
run "$QB" import b.jsonl b.jsonl
expect_rc 0 "twice"
expect_out_has "imported 'b.jsonl': llama-bench jsonl, 4 rows, run 3"
expect_err "quantbench: warning: 'b.jsonl' is already stored as run 3 (the same content): skipped; --force imports it again"
[ "$(q 'SELECT count(*) FROM results')" = 12 ] && [ "$(q 'SELECT count(*) FROM runs')" = 3 ] ||
    fail "the same file twice on one command line"

# a file of ours cut after a llama_bench insert: that row has no quantbench_bench partner, kept
grep -v 'INSERT INTO quantbench_bench' b.sql >lb-only.sql
grep 'INSERT INTO quantbench_bench' b.sql | head -3 >>lb-only.sql
run "$QB" import lb-only.sql --label cut
expect_rc 0 "cut-off file"
expect_out_has "imported 'lb-only.sql': quantbench bench sql, 4 rows, run 4"
run "$QB" report label=cut -o json
python3 - "$T/out" <<'PY' || fail "cut-off file rows"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 4
assert sum('samples_ts' in r['row'] for r in rows) == 3  # the fourth from llama_bench only
assert sorted(r['test'] for r in rows) == ['pp16', 'pp16', 'tg4', 'tg4'], [r['test'] for r in rows]
PY
# llama-bench's own sql (llama_bench only): every row
data=$(cd "$(dirname "$0")/../fuzz/seed-import" && pwd)
run "$QB" import "$data/llama-bench.sql"
expect_rc 0 "llama-bench sql"
expect_out_has "llama-bench sql, 2 rows, run 5"
# an INSERT into another table
printf 'INSERT INTO other_tool (n_prompt, avg_ts) VALUES (1, 2);\n' >other.sql
run "$QB" import other.sql
expect_rc 3 "another table"
expect_err "quantbench: error: 'other.sql' line 1: INSERT INTO 'other_tool', not llama-bench's llama_bench or quantbench's quantbench_bench"
[ "$(q 'SELECT count(*) FROM results')" = 18 ] || fail "rows at the end: $(q 'SELECT count(*) FROM results')"
[ "$(q 'SELECT count(*) FROM runs')" = 5 ] || fail "runs at the end"
intact "at the end"
echo ok
