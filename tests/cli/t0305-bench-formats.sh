# every output format: md columns, json/jsonl/csv fields against llama-bench's own
# output on the same model, sql that sqlite3 accepts next to llama-bench's own sql
. "$(dirname "$0")/lib.sh"
need_llama_tool llama-bench
m=$(model_dense)
args=(-m "$m" -p 16 -n 4 -r 2 -t 1)
for f in json jsonl csv; do
    run "$LLAMA_BINDIR/llama-bench" "${args[@]}" -o $f
    expect_rc 0 "llama-bench -o $f"
    cp "$T/out" lb.$f
    run "$QB" bench "${args[@]}" -o $f
    expect_rc 0 "bench -o $f"
    cp "$T/out" qb.$f
done
python3 - <<'PY' || fail "fields differ from llama-bench's"
import csv, json
lb, qb = json.load(open('lb.json')), json.load(open('qb.json'))
assert len(lb) == len(qb) == 2
for a, b in zip(lb, qb):
    missing = [k for k in a if k not in b]
    assert not missing, f"json lacks {missing}"
    assert list(b)[:len(a)] == list(a), "llama-bench's fields are not first, in its order"
    for k in ('build_commit', 'build_number', 'model_type', 'model_size', 'model_n_params',
              'n_prompt', 'n_gen', 'n_depth', 'n_threads', 'n_batch', 'n_ubatch', 'type_k',
              'type_v', 'n_gpu_layers', 'split_mode', 'flash_attn', 'load_mode', 'cpu_mask',
              'poll', 'devices', 'tensor_split', 'tensor_buft_overrides', 'backends'):
        assert a[k] == b[k], (k, a[k], b[k])
    assert len(b['samples_ns']) == len(a['samples_ns']) == 2
for f in ('lb.jsonl', 'qb.jsonl'):
    rows = [json.loads(l) for l in open(f)]
    assert len(rows) == 2
lbl, qbl = [json.loads(l) for l in open('lb.jsonl')], [json.loads(l) for l in open('qb.jsonl')]
assert all(k in qbl[0] for k in lbl[0])
lh = next(csv.reader(open('lb.csv')))
qh = next(csv.reader(open('qb.csv')))
assert qh[:len(lh)] == lh, f"csv header: {qh[:len(lh)]} != {lh}"
rows = list(csv.DictReader(open('qb.csv')))
assert len(rows) == 2 and rows[0]['status'] == 'ok' and len(rows[0]['samples_ns'].split()) == 2
PY
# sql: one database with llama-bench's rows and ours
run "$LLAMA_BINDIR/llama-bench" "${args[@]}" -o sql
cp "$T/out" lb.sql
run "$QB" bench "${args[@]}" -o sql
expect_rc 0
cp "$T/out" qb.sql
if command -v sqlite3 >/dev/null; then
    sqlite3 -bail db.sqlite <lb.sql || fail "sqlite3 rejects llama-bench's sql"
    sqlite3 -bail db.sqlite <qb.sql || fail "sqlite3 rejects our sql"
    [ "$(sqlite3 db.sqlite 'select count(*) from llama_bench; select count(*) from quantbench_bench;' | tr '\n' ' ')" = "4 2 " ] || fail "sql rows"
    [ "$(sqlite3 db.sqlite "select status, length(samples_ns) > 0 from quantbench_bench limit 1")" = "ok|1" ] || fail "our sql table"
else
    python3 -c "import sqlite3; c = sqlite3.connect('db.sqlite'); c.executescript(open('lb.sql').read()); c.executescript(open('qb.sql').read())" || fail "sql"
fi
# llama.cpp's compare-llama-bench.py reads our sql and jsonl (our rows as another build)
cmp=$(dirname "$LLAMA_BINDIR")
src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$cmp/CMakeCache.txt" 2>/dev/null)
script=$src/scripts/compare-llama-bench.py
if [ -f "$script" ] && /usr/bin/python3 -c "import git, tabulate" 2>/dev/null && command -v sqlite3 >/dev/null; then
    lbc=$(json_get lb.json "j[0]['build_commit']")
    sqlite3 -bail ab.sqlite <lb.sql
    sed "s/'$lbc'/'0b0b0b0'/g" qb.sql | sqlite3 -bail ab.sqlite
    (cd "$T" && /usr/bin/python3 "$script" -i ab.sqlite -b "$lbc" -c 0b0b0b0) >cmp.txt 2>&1 || { cat cmp.txt; fail "compare script on sql"; }
    grep -qE '^\| .*\| pp16 +\| +[0-9.]+ \| +[0-9.]+ \| +[0-9.]+ \|$' cmp.txt || { cat cmp.txt; fail "compare table (sql)"; }
    { sed "s/\"$lbc\"/\"0b0b0b0\"/g" qb.jsonl; cat lb.jsonl; } >ab.jsonl
    (cd "$T" && /usr/bin/python3 "$script" -i ab.jsonl --tool llama-bench -b "$lbc" -c 0b0b0b0) >cmp2.txt 2>&1 || { cat cmp2.txt; fail "compare script on jsonl"; }
    grep -qE '\| tg4 +\|' cmp2.txt || { cat cmp2.txt; fail "compare table (jsonl)"; }
else
    echo "note: compare-llama-bench.py not runnable here; schemas compared above" >&2
fi
# md: llama-bench's columns, ours after t/s; pp+tg columns only when -pg is given
run "$QB" bench "${args[@]}" -pg 16,4
expect_rc 0
head -1 "$T/out" | grep -qF '| model                          |       size |     params | backend    | threads |            test |                  t/s |     pp t/s |     tg t/s |   ttft ms |   load ms |   ctx ms |' || { head -1 "$T/out"; fail "md header"; }
grep -qE '\| +pp16\+tg4 \| +[0-9.]+ ± [0-9.]+ \| +[0-9.]+ \| +[0-9.]+ \| +[0-9.]+ \| +[0-9]+ \| +[0-9.]+ \| +(noisy)? \|$' "$T/out" || { cat "$T/out"; fail "pp+tg row"; }
grep -qE '^build: [0-9a-f]+ \([0-9]+\)$' "$T/out" || fail "build footer"
run "$QB" bench "${args[@]}" -t 1,2 -b 64 -ub 32 -ctk q8_0 -fa 1
expect_rc 0
head -1 "$T/out" | grep -qF '| threads | n_batch | n_ubatch | type_k |  fa |' || { head -1 "$T/out"; fail "varying columns"; }
# -oe: a second format on stderr
run "$QB" bench "${args[@]}" -o json -oe md
expect_rc 0
json_get "$T/out" "len(j)" >/dev/null || fail "stdout json"
grep -q '^| model ' "$T/err" || fail "-oe md on stderr"
