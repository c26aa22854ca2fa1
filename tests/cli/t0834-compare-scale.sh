# compare scales: 50,000 rows a side (imported from generated llama-bench jsonl) are matched
# and compared in seconds, not minutes (45,000 took 292 s and 1.7 GB: lines were found by a
# scan over all lines, pooled statistics recomputed per row and the varying settings found
# by comparing every line with every other); the limit is loose for a slow shared machine
. "$(dirname "$0")/lib.sh"
N=50000
python3 - $N <<'PY'
import json, random, sys
n = int(sys.argv[1])
random.seed(11)
for name, scale in (('a', 1.0), ('b', 1.1)):
    with open(name + '.jsonl', 'w') as f:
        for i in range(n):
            s = [round(100.0 * scale * (1 + random.gauss(0, 0.01)), 3) for _ in range(5)]
            f.write(json.dumps(dict(n_prompt=512, n_gen=0, n_depth=i // 4, n_threads=1 + i % 4,
                                    avg_ts=round(sum(s) / 5, 3), samples_ts=s)) + '\n')
PY
run "$QB" import a.jsonl b.jsonl --force
expect_rc 0 "import"
expect_out_has "imported 'a.jsonl': llama-bench jsonl, $N rows, run 1"
expect_out_has "imported 'b.jsonl': llama-bench jsonl, $N rows, run 2"
s0=$(date +%s.%N)
run "$QB" compare 1 2 -o json
expect_rc 0 "compare"
s1=$(date +%s.%N)
secs=$(python3 -c "print(round($s1 - $s0, 2))")
echo "compare of $N rows a side: $secs s" >&2
python3 -c "import sys; sys.exit(0 if $secs < 30 else 1)" || fail "compare took $secs s"
python3 - "$T/out" $N <<'PY' || fail "compare result"
import json, sys
j = json.load(open(sys.argv[1]))
assert len(j) == int(sys.argv[2]), len(j)
assert all(abs(x['ratio'] - 1.1) < 0.05 and x['a_n'] == 5 and x['b_n'] == 5 for x in j)
PY
run "$QB" compare 1 2
expect_rc 0 "compare md"
expect_out_has "A: 1 · B: 2 · $N matched"
echo ok
