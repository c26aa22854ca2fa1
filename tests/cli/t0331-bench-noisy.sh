# rows whose spread is too large to be a result are flagged: bench, sweep and batched rows
# whose 95% CI half-width exceeds 5% of the mean carry noisy = true (json, the database),
# "noisy" in md, and one warning line with the load average at the start and end of the
# run. The worker's test hook QB_TEST_FAULT=noise (odd repetitions 3x as long) and steady
# (every repetition as the first) make the spread independent of this machine's load.
. "$(dirname "$0")/lib.sh"
cp "$(model_dense)" noisy.gguf
cp "$(model_dense)" steady.gguf
warn_re='^quantbench: warning: [0-9]+ of [0-9]+ rows noisy \(95% CI half-width above 5% of the mean\): load average [0-9]+\.[0-9]{2} at the start, [0-9]+\.[0-9]{2} at the end$'
no_warning() { ! grep -q 'noisy' "$T/err" || { cat "$T/err" >&2; fail "a warning without noisy rows: $1"; }; }
all_rows() { # FILE(json array or jsonl) PY-EXPR-on-r WHAT
    python3 - "$1" "$2" <<'PY' || fail "$3"
import json, sys
t = open(sys.argv[1]).read().strip()
rows = json.loads(t) if t.startswith('[') else [json.loads(l) for l in t.splitlines()]
assert rows, 'no rows'
for r in rows:
    assert eval(sys.argv[2]), (r.get('noisy'), r.get('samples_ns'), r.get('samples_pp_ns'))
PY
}
# bench: every row noisy, in json, md and the database; one warning line
QB_TEST_FAULT=noise:noisy run "$QB" bench -m noisy.gguf -p 16 -n 4 -r 3 -t 1 -o json --db n.db
expect_rc 0 "bench noise"
all_rows "$T/out" "r['noisy'] is True" "bench rows not noisy"
[ "$(grep -c 'noisy' "$T/err")" = 1 ] || { cat "$T/err" >&2; fail "one warning line"; }
grep -Eq "$warn_re" "$T/err" || { cat "$T/err" >&2; fail "warning text"; }
grep -q '^quantbench: warning: 2 of 2 rows noisy' "$T/err" || fail "warning counts"
QB_TEST_FAULT=noise:noisy run "$QB" bench -m noisy.gguf -p 16 -n 4 -r 3 -t 1 --no-db
expect_rc 0 "bench noise md"
head -1 "$T/out" | grep -q '| noisy |$' || { head -1 "$T/out"; fail "md header"; }
[ "$(grep -c '| noisy |$' "$T/out")" = 3 ] || { cat "$T/out"; fail "md rows flagged"; }
# steady repetitions, and one repetition: false, no warning
QB_TEST_FAULT=steady:steady run "$QB" bench -m steady.gguf -p 16 -n 4 -r 3 -t 1 -o jsonl --db n.db
expect_rc 0 "bench steady"
all_rows "$T/out" "r['noisy'] is False and r['stddev_ts'] <= 1e-9 * r['avg_ts']" "steady bench rows"
no_warning "steady bench"
run "$QB" bench -m steady.gguf -p 16 -n 4 -r 1 -t 1 -o json --no-db
expect_rc 0 "bench -r 1"
all_rows "$T/out" "r['noisy'] is False" "a normal run with one repetition"
no_warning "bench -r 1"
# sweep and batched rows with repetitions
QB_TEST_FAULT=noise:noisy run "$QB" sweep -m noisy.gguf -c 256 -ub 64 -n 4 -r 2 -t 1 -o jsonl --db n.db
expect_rc 0 "sweep noise"
all_rows "$T/out" "r['noisy'] is True" "sweep rows not noisy"
grep -Eq "$warn_re" "$T/err" && grep -q '^quantbench: warning: 4 of 4 rows noisy' "$T/err" ||
    { cat "$T/err" >&2; fail "sweep warning"; }
QB_TEST_FAULT=steady:steady run "$QB" sweep -m steady.gguf -c 256 -ub 64 -n 4 -r 2 -t 1 -o jsonl --no-db
expect_rc 0 "sweep steady"
all_rows "$T/out" "r['noisy'] is False" "steady sweep rows"
no_warning "steady sweep"
QB_TEST_FAULT=noise:noisy run "$QB" batched -m noisy.gguf -c 512 -npp 16 -ntg 4 -npl 1,2 -r 2 -t 1 --db n.db
expect_rc 0 "batched noise"
[ "$(grep -c '| noisy |$' "$T/out")" = 3 ] || { cat "$T/out"; fail "batched md rows flagged"; }
grep -Eq "$warn_re" "$T/err" && grep -q '^quantbench: warning: 2 of 2 rows noisy' "$T/err" ||
    { cat "$T/err" >&2; fail "batched warning"; }
QB_TEST_FAULT=steady:steady run "$QB" batched -m steady.gguf -c 512 -npp 16 -ntg 4 -npl 1,2 -r 2 -t 1 -o json --no-db
expect_rc 0 "batched steady"
all_rows "$T/out" "r['noisy'] is False" "steady batched rows"
no_warning "steady batched"
# the database keeps the flag of every row
python3 - n.db <<'PY' || fail "database"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == 'ok'
rows = [(k, json.loads(row)) for k, row in db.execute("SELECT kind, row FROM results ORDER BY id")]
got = [(k, r['noisy'], r['model_filename'] == 'noisy.gguf') for k, r in rows]
want = [('bench', True, True)] * 2 + [('bench', False, False)] * 2 + [('sweep', True, True)] * 4 + \
       [('batched', True, True)] * 2
assert got == want, got
PY
