# several models (-m A -m B and -m A,B): sweep, batched, ctxmax, quality and mem run every
# one, in order, each row naming its model, and store every row (the database stays
# consistent); quantize and info refuse a second model with a usage error
. "$(dirname "$0")/lib.sh"
a=$(model_dense)
b=$(model_moe)
text=/usr/share/common-licenses/GPL-3 # Debian's base-files
[ -f "$text" ] || { echo "no $text"; exit 77; }

# rows of each model, in the order given: FILE KEY A-COUNT B-COUNT
rows_of() {
    python3 - "$1" "$2" "$a" "$b" "$3" "$4" <<'PY' || fail "rows of $1: $(cat "$1")"
import json, sys
f, key, a, b, na, nb = sys.argv[1:]
rows = [json.loads(l) for l in open(f)]
got = [r[key] for r in rows]
want = [a] * int(na) + [b] * int(nb)
assert got == want, (got, want)
assert all(r.get('status', 'ok') == 'ok' for r in rows), rows
PY
}

run "$QB" sweep -m "$a" -m "$b" -c 128 -ub 64 -b 64 -n 4 -t 1 -o jsonl
expect_rc 0 "sweep -m A -m B"
rows_of "$T/out" model_filename 2 2
expect_err_has "quantbench: sweep of '$a': 2 depths in"
expect_err_has "quantbench: sweep of '$b': 2 depths in"
run "$QB" sweep -m "$a,$b" -c 128 -ub 64 -b 64 -n 4 -t 1
expect_rc 0 "sweep -m A,B md"
expect_out_has "| file                           |     PP |"
[ "$(grep -c "^| $a " "$T/out")" = 2 ] && [ "$(grep -c "^| $b " "$T/out")" = 2 ] ||
    { cat "$T/out"; fail "sweep md rows per model"; }

run "$QB" batched -m "$a,$b" -c 256 -npp 8 -ntg 2 -npl 1,2 -t 1 -o jsonl
expect_rc 0 "batched -m A,B"
rows_of "$T/out" model_filename 2 2

run "$QB" ctxmax -m "$a" -m "$b" --max 512 -t 1 -o jsonl
expect_rc 0 "ctxmax -m A -m B"
rows_of "$T/out" model 1 1
run "$QB" ctxmax -m "$a,$b" --max 512 -t 1 -o json
expect_rc 0 "ctxmax json"
json_get "$T/out" "[o['model'] for o in j] == ['$a', '$b'] and all(o['n_ctx_max'] == 512 for o in j)" |
    grep -qx True || fail "ctxmax json: $(cat "$T/out")"
run "$QB" ctxmax -m "$a,$b" --max 512 -t 1
expect_rc 0 "ctxmax md"
expect_out_has "## ctxmax $a"
expect_out_has "## ctxmax $b"

run "$QB" quality -m "$a" -m "$b" -f "$text" -c 128 --chunks 2 -t 1 -o jsonl
expect_rc 0 "quality -m A -m B"
rows_of "$T/out" model_filename 1 1
# the quants of one model against its base: one row each
run "$QB" quality -m "$a" -f "$text" -c 128 --chunks 2 -t 1 --save-base base.bin -o json
expect_rc 0 "save-base"
run "$QB" quality -m "$a,$a" --base base.bin -t 1 -o jsonl
expect_rc 0 "quality --base, two models"
[ "$(wc -l <"$T/out")" = 2 ] || fail "two kld rows"
run "$QB" quality -m "$a,$b" -f "$text" --save-base x.bin
expect_rc 2 "save-base with two"
expect_err "quantbench quality: --save-base writes the log-probabilities of one model, not 2; try 'quantbench quality --help'"

run "$QB" mem -m "$a,$b" -c 512 --no-dry-run -o json
expect_rc 0 "mem -m A,B"
json_get "$T/out" "[m['model'] for m in j['models']] == ['$a', '$b']" | grep -qx True || fail "mem models"

# every model is checked before anything runs: a missing second model is exit 3, no rows
run "$QB" sweep -m "$a,missing.gguf" -c 128 -ub 64 -b 64 -n 4 -t 1 --no-db
expect_rc 3 "missing second model"
expect_err "quantbench: error: cannot open 'missing.gguf': No such file or directory"
[ -s "$T/out" ] && fail "rows written before the check: $(cat "$T/out")"

# one model's failure leaves the other's rows: exit 4 (partial)
QB_TEST_FAULT=segv:moe.gguf run "$QB" sweep -m "$a,$b" -c 128 -ub 64 -b 64 -n 4 -t 1 -o jsonl --no-db
expect_rc 4 "sweep, second model crashes"
python3 - "$T/out" "$a" "$b" <<'PY' || fail "partial sweep: $(cat "$T/out")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [(r['model_filename'], r['status']) for r in rows] == \
    [(sys.argv[2], 'ok'), (sys.argv[2], 'ok'), (sys.argv[3], 'crashed')], rows
PY
QB_TEST_FAULT=segv:dense.gguf run "$QB" quality -m "$a,$b" -f "$text" -c 128 --chunks 2 -t 1 -o jsonl --no-db
expect_rc 4 "quality, first model crashes"
rows_of "$T/out" model_filename 0 1

# the database holds every row of every model, and is consistent
python3 - quantbench.db "$a" "$b" <<'PY' || fail "database rows"
import sqlite3, sys, json
db, a, b = sys.argv[1:]
c = sqlite3.connect(db)
assert c.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'
def rows(kind):
    out = []
    for (row,) in c.execute("SELECT row FROM results WHERE kind = ? ORDER BY id", (kind,)):
        r = json.loads(row)
        out.append(r.get('model_filename') or r.get('model'))
    return out
assert rows('sweep') == [a, a, b, b] * 2, rows('sweep')
assert rows('batched') == [a, a, b, b], rows('batched')
assert rows('ctxmax') == [a, b] * 3, rows('ctxmax')
assert rows('quality') == [a, b, a, a, a], rows('quality')
PY

# the ladder of one source; facts of one file
"$QB" synth -o src-F16.gguf --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 2048 \
    --type F16 --seed 41 >&2 || fail "synth"
chk() { local cmd=$1 want=$2; shift 2; run "$QB" "$cmd" "$@"; expect_rc 2 "$*"; expect_err "quantbench $cmd: $want; try 'quantbench $cmd --help'"; }
chk quantize "more than one model given ('$a'); quantize makes the ladder of one source model" \
    -m src-F16.gguf -m "$a" --types Q8_0 -o ladder
chk quantize "more than one model given ('src-F16.gguf,$a'); quantize makes the ladder of one source model" \
    -m "src-F16.gguf,$a" --types Q8_0 -o ladder
[ -e ladder ] && fail "quantize made something"
chk info "more than one model given ('$b')" "$a" "$b"
exit 0
