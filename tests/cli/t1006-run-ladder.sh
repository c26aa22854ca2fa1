# run with a ladder: the rungs are made by llama.cpp's quantizer first (beside the suite's
# dir), a quality test with "base": "source" gives each rung's KL-divergence against the
# source's log-probabilities (made once, cached), the table shows KLD and same-top %; a
# second run makes nothing and measures nothing
. "$(dirname "$0")/lib.sh"
src=$(model_dense)
cp "$src" m-F16.gguf
head -c 30000 /usr/share/common-licenses/GPL-3 >text.txt
cat >s.json <<JSON
{"models": [{"ladder": {"source": "m-F16.gguf", "types": ["Q8_0", "Q4_0"], "dir": "lad"}}],
 "settings": {"t": 1},
 "tests": [{"test": "bench", "p": 32, "n": 0, "r": 1},
           {"test": "quality", "file": "text.txt", "c": 128, "chunks": 3, "base": "source"}]}
JSON
export QB_DB=$T/q.db QB_BASE_DIR=$T/bases
run "$QB" run s.json --no-progress -o json
expect_rc 0 "ladder run"
[ -f lad/m-Q8_0.gguf ] && [ -f lad/m-Q4_0.gguf ] || fail "rungs: $(ls lad)"
expect_err_has "quantbench: run: made 'lad/m-Q8_0.gguf'"
[ "$(ls bases/*.bin | wc -l)" = 1 ] || fail "one base file: $(ls bases)"
python3 - "$T/out" <<'PY' || { cat "$T/out"; fail "table"; }
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r['model'] for r in rows] == ['m-Q8_0.gguf', 'm-Q4_0.gguf'], [r['model'] for r in rows]
for r in rows:
    assert r['kld'] is not None and r['kld'] >= 0, r
    assert r['same_top_pct'] is not None and 0 < r['same_top_pct'] <= 100, r
    assert r['ppl'] > 1 and r['pp_ts'] > 0, r
# a coarser quant is further from the source
assert rows[1]['kld'] > rows[0]['kld'], (rows[0]['kld'], rows[1]['kld'])
PY
q() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchall())" "$QB_DB" "$1"; }
[ "$(q "select test from cells order by id")" = "[('pp32',), ('kld text.txt',), ('pp32',), ('kld text.txt',)]" ] ||
    fail "cells: $(q 'select model, test, status from cells')"
touch -d '2000-01-01' lad/m-Q8_0.gguf
run "$QB" run s.json --no-progress
expect_rc 0 "rerun"
[ "$(stat -c %Y lad/m-Q8_0.gguf)" = "$(date -d 2000-01-01 +%s)" ] || fail "a rung was made again"
[ "$(q "select count(*) from events where run_id = 2 and kind = 'cell_started'")" = "[(0,)]" ] || fail "rerun measured"
exit 0
