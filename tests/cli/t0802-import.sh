# import: llama-bench json/jsonl/csv/sql/md and llama-batched-bench md/jsonl, written by the
# pinned tools in this test, and sweep-bench md/jsonl (tests/data: that tool is not in the
# pinned build) become stored rows with every value intact; bad files store nothing
. "$(dirname "$0")/lib.sh"
need_llama_tool llama-bench
need_llama_tool llama-batched-bench
m=$(model_dense)
data=$(cd "$(dirname "$0")/../data" && pwd)
for o in json jsonl csv sql md; do
    "$LLAMA_BINDIR/llama-bench" -m "$m" -p 16 -n 4 -pg 8,4 -d 0,8 -r 2 -t 1,2 -o $o >lb.$o 2>lb.$o.err ||
        { tail -5 lb.$o.err >&2; fail "llama-bench -o $o"; }
done
bb=(-m "$m" -c 512 -b 512 -ub 128 -npp 16,32 -ntg 4 -npl 1,2 -t 2)
# batched-bench prints its table and jsonl rows through llama.cpp's logger: 4 rows each
# (-npp 2 x -npl 2), run again if they were lost (see ref_run)
ref_run bb.md bb.err "[ \$(grep -c '^| *[0-9]' bb.md) -eq 4 ]" \
    "$LLAMA_BINDIR/llama-batched-bench" "${bb[@]}" || { tail -5 bb.err >&2; fail "batched-bench"; }
ref_run bb.jsonl bb.err "[ \$(grep -c '^{' bb.jsonl) -eq 4 ]" \
    "$LLAMA_BINDIR/llama-batched-bench" "${bb[@]}" --output-format jsonl || fail "batched-bench jsonl"
grep -q '^|' bb.md || { head bb.md bb.err >&2; fail "no table from batched-bench"; }
cp "$data/sweep-bench.md" sb.md
cp "$data/sweep-bench.jsonl" sb.jsonl
for f in lb.json lb.jsonl lb.csv lb.sql lb.md bb.md bb.jsonl sb.md sb.jsonl; do
    run "$QB" import "$f" --label "$f"
    expect_rc 0 "import $f"
done
expect_out_has "imported 'sb.jsonl': sweep-bench jsonl, 3 rows, run 9"
run "$QB" report --all -o json
expect_rc 0 "report"
python3 - "$T/out" <<'PY' || fail "imported values differ from the files"
import csv, json, re, sys
rows = json.load(open(sys.argv[1]))
by = {}
for r in rows:
    by.setdefault(r['label'], []).append(r)
def same(a, b):
    if isinstance(b, bool) or isinstance(a, bool):
        return bool(a) == bool(b)
    if isinstance(b, (int, float)) and isinstance(a, (int, float)):
        return abs(a - b) <= 1e-9 * max(1, abs(b))
    return a == b
def check(label, src, kind):
    got = by[label]
    assert len(got) == len(src), (label, len(got), len(src))
    for g, s in zip(got, src):
        assert g['kind'] == kind and g['imported'], g
        for k, v in s.items():
            assert k in g['row'] and same(g['row'][k], v), (label, k, g['row'].get(k), v)
# llama-bench: json and jsonl carry the samples, csv and sql every field as text
src = json.load(open('lb.json'))
assert len(src) == 12
check('lb.json', src, 'bench')
check('lb.jsonl', [json.loads(l) for l in open('lb.jsonl') if l.strip()], 'bench')
ints = {'build_number', 'n_batch', 'n_ubatch', 'n_threads', 'poll', 'model_size', 'model_n_params',
        'n_gpu_layers', 'main_gpu', 'n_prompt', 'n_gen', 'n_depth', 'avg_ns', 'stddev_ns',
        'no_op_offload', 'n_cpu_moe', 'fit_target', 'fit_min_ctx', 'flash_attn'}
bools = {'no_kv_offload', 'cpu_strict', 'embeddings', 'no_host', 'use_mmap'}
def typed(k, v):
    if k in ints: return int(v)
    if k in ('avg_ts', 'stddev_ts'): return float(v)
    if k in bools: return v in ('1', 'true')
    return v
src_csv = [{k: typed(k, v) for k, v in r.items()} for r in csv.DictReader(open('lb.csv'))]
check('lb.csv', src_csv, 'bench')
src_sql = []
for l in open('lb.sql'):
    if l.startswith('INSERT INTO'):
        names = [x.strip() for x in l[l.index('(') + 1:l.index(')')].split(',')]
        vals = re.findall(r"'([^']*)'", l[l.index('VALUES'):])
        assert len(names) == len(vals)
        src_sql.append({k: typed(k, v) for k, v in zip(names, vals)})
check('lb.sql', src_sql, 'bench')
# the same run's csv and sql agree with its json on the numbers the table shows
# md: the table's cells
def cells(path):
    lines = [l.strip() for l in open(path) if l.strip().startswith('|')]
    head = [c.strip() for c in lines[0].strip('|').split('|')]
    return [dict(zip(head, [c.strip() for c in l.strip('|').split('|')])) for l in lines[2:]]
md = cells('lb.md')
got = by['lb.md']
assert len(got) == len(md) == 12
commit = re.search(r'build: (\S+) \((\d+)\)', open('lb.md').read())
for g, c in zip(got, md):
    r = g['row']
    mean, sd = [float(x) for x in c['t/s'].split('±')]
    assert same(r['avg_ts'], mean) and same(r['stddev_ts'], sd), (r, c)
    assert r['model_type'] == c['model'] and r['backends'] == c['backend']
    assert same(r['n_threads'], int(c['threads']))
    t = c['test']
    p = re.match(r'(?:pp(\d+))?\+?(?:tg(\d+))?(?: @ d(\d+))?$', t)
    assert same(r['n_prompt'], int(p.group(1) or 0)) and same(r['n_gen'], int(p.group(2) or 0))
    assert same(r['n_depth'], int(p.group(3) or 0)), (t, r['n_depth'])
    assert r['build_commit'] == commit.group(1) and same(r['build_number'], int(commit.group(2)))
    assert abs(r['model_size'] / 2**20 - float(c['size'].split()[0])) < 0.006
# batched-bench
bbj = [json.loads(l) for l in open('bb.jsonl') if l.strip()]
assert len(bbj) == 4
check('bb.jsonl', bbj, 'batched')
names = {'PP': 'pp', 'TG': 'tg', 'B': 'pl', 'N_KV': 'n_kv', 'T_PP s': 't_pp', 'S_PP t/s': 'speed_pp',
         'T_TG s': 't_tg', 'S_TG t/s': 'speed_tg', 'T s': 't', 'S t/s': 'speed'}
md = cells('bb.md')
check('bb.md', [{names[k]: float(v) for k, v in c.items()} for c in md], 'batched')
setline = re.search(r'[a-z_]+: (n_kv_max.*)', open('bb.md').read())
assert setline, 'llama-batched-bench printed no settings line'
for g in by['bb.md']:
    assert same(g['row']['n_threads'], 2) if setline and 'n_threads' in setline.group(1) else True
# sweep-bench
check('sb.jsonl', [json.loads(l) for l in open('sb.jsonl')], 'sweep')
names = {'PP': 'pp', 'TG': 'tg', 'N_KV': 'n_kv', 'T_PP s': 't_pp', 'S_PP t/s': 'speed_pp',
         'T_TG s': 't_tg', 'S_TG t/s': 'speed_tg'}
check('sb.md', [{names[k]: float(v) for k, v in c.items()} for c in cells('sb.md')], 'sweep')
assert all(g['row']['n_ubatch'] == 512 for g in by['sb.md'])
# the line of every row in its file
assert [g['line'] for g in by['sb.md']] == [6, 7, 8, 9], [g['line'] for g in by['sb.md']]
assert [g['line'] for g in by['bb.jsonl']] == [1, 2, 3, 4]
PY
# imported rows compare like measured ones
run "$QB" compare lb.json lb.jsonl
expect_rc 0 "compare imported"
expect_out_has "12 matched"

# bad files: an error naming the file and line; nothing stored
before=$(sqlite3 quantbench.db 'SELECT count(*) FROM results')
bad() { # file message
    run "$QB" import sb.md "$1"
    expect_rc 3 "$1"
    expect_err "quantbench: error: '$1' $2"
}
printf '{"pp": 1, "tg": 2, "n_kv": 0, "speed_pp": 1, "speed_tg": 2}\n{"pp": 1,\n' >broken.jsonl
bad broken.jsonl "line 2: malformed JSON line"
printf 'hello\nworld\n' >prose.txt
bad prose.txt "unrecognised format (expected llama-bench json, jsonl, csv, sql or md; llama-batched-bench md or jsonl; sweep-bench md or jsonl; quantbench bench sql, ctxmax or mem json)"
head -3 lb.csv >short.csv
sed -i '3s/,"[^"]*"$//' short.csv
bad short.csv "line 3: $(($(head -1 lb.csv | tr ',' '\n' | wc -l) - 1)) fields, the header has $(head -1 lb.csv | tr ',' '\n' | wc -l)"
sed '6s/|[^|]*|$/| fast |/' sb.md >badcell.md
bad badcell.md "line 6: bad value 'fast' in column 'S_TG t/s'"
printf '| a | b |\n|---|---|\n| 1 | 2 |\n' >other.md
bad other.md "line 1: a table that is not llama-bench's, llama-batched-bench's or sweep-bench's"
printf '{"foo": 1}\n' >foreign.jsonl
bad foreign.jsonl "line 1: not a llama-bench, llama-batched-bench, sweep-bench, quantbench ctxmax or quantbench mem result object"
: >empty.json
bad empty.json "empty file"
run "$QB" import missing.json
expect_rc 3 "missing"
expect_err_has "cannot open 'missing.json'"
[ "$(sqlite3 quantbench.db 'SELECT count(*) FROM results')" = "$before" ] || fail "a bad file stored rows"
run "$QB" import
expect_rc 2 "no file"
expect_err "quantbench import: no FILE given; try 'quantbench import --help'"
echo ok
