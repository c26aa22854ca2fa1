# bench --mem / mem --measure / report on a machine without a GPU: every llama.cpp buffer
# is host memory, the CPU backend's repacked weights (CPU_REPACK, made on AVX2 for Q4_0)
# included: GPU 0 in md, mem_gpu_bytes 0 in json; a row stored by an older build, with
# CPU_REPACK counted as GPU memory, is shown split right by report
. "$(dirname "$0")/lib.sh"
m="$MODELS/q4_0.gguf"
[ -f "$m" ] || "$QB" synth -o "$m" --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 \
    --ctx 2048 --type Q4_0 --seed 7 >&2 || fail "synth Q4_0"
repack=0
grep -qw avx2 /proc/cpuinfo && repack=1
run "$QB" bench -m "$m" -p 16 -n 0 -r 1 -t 1 --mem --db t.db
expect_rc 0 "bench --mem"
python3 - "$T/out" <<'PY' || fail "bench --mem md: GPU MiB is not 0.00"
import sys
lines = [l for l in open(sys.argv[1]) if l.startswith('|')]
head = [c.strip() for c in lines[0].strip().strip('|').split('|')]
row = [c.strip() for c in lines[2].strip().strip('|').split('|')]
assert row[head.index('GPU MiB')] == '0.00', row
assert float(row[head.index('host MiB')]) > 10, row
PY
run "$QB" bench -m "$m" -p 16 -n 0 -r 1 -t 1 -o json --no-db
expect_rc 0 "bench -o json"
python3 - "$T/out" "$repack" <<'PY' || fail "bench json: host / GPU split"
import json, sys
r = json.load(open(sys.argv[1]))[0]
bufs = {b['buft']: b for b in r['mem_buffers']}
assert r['mem_gpu_bytes'] == 0, (r['mem_gpu_bytes'], r['mem_buffers'])
assert all(b['host'] and b['dev'] == 'CPU' for b in bufs.values()), bufs
tot = sum(b['model'] + b['context'] + b['compute'] + b['output'] for b in bufs.values())
assert r['mem_host_bytes'] == tot, (r['mem_host_bytes'], tot)
if sys.argv[2] == '1':
    assert bufs['CPU_REPACK']['model'] > 0, bufs
PY
run "$QB" mem -m "$m" -c 512 --measure -t 1 -o json
expect_rc 0 "mem --measure"
python3 - "$T/out" "$repack" <<'PY' || fail "mem --measure: host buffers"
import json, sys
j = json.load(open(sys.argv[1]))['models'][0]
for k in ('dry_run', 'measured'):
    bufs = {b['buft']: b for b in j[k]['buffers']}
    assert all(b['host'] and b['dev'] == 'CPU' for b in bufs.values()), (k, bufs)
    if sys.argv[2] == '1':
        assert 'CPU_REPACK' in bufs, (k, bufs)
PY
# a row as an older build stored it: CPU_REPACK with host false, counted in mem_gpu_bytes
python3 - t.db <<'PY' || fail "rewrite the stored row"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(rid, row), = db.execute("SELECT id, row FROM results").fetchall()
r = json.loads(row)
gpu = 0
for b in r['mem_buffers']:
    if b['buft'] != 'CPU_Mapped':
        b['host'] = False
        gpu += b['model'] + b['context'] + b['compute'] + b['output']
r['mem_gpu_bytes'] = gpu
r['mem_host_bytes'] -= gpu
db.execute("UPDATE results SET row = ? WHERE id = ?", (json.dumps(r), rid))
db.commit()
PY
run "$QB" report --db t.db -o json
expect_rc 0 "report"
python3 - "$T/out" t.db <<'PY' || fail "report json: host / GPU split of a stored row"
import json, sqlite3, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1, len(rows)
r = rows[0]['row']
tot = sum(b['model'] + b['context'] + b['compute'] + b['output'] for b in r['mem_buffers'])
assert r['mem_gpu_bytes'] == 0 and r['mem_host_bytes'] == tot, (r['mem_gpu_bytes'], r['mem_host_bytes'], tot)
assert all(b['host'] for b in r['mem_buffers']), r['mem_buffers']
db = sqlite3.connect(sys.argv[2])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == 'ok'
assert db.execute("SELECT count(*) FROM results").fetchone()[0] == 1
PY
exit 0
