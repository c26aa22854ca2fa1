# compare --method bootstrap: with fewer than 5 raw samples on a side a percentile bootstrap
# says nothing, so such rows get Welch's interval and a warning says how many did; rows with
# enough samples keep the bootstrap; summaries alone (no samples) fall back too
. "$(dirname "$0")/lib.sh"
python3 - <<'PY'
import json, random
random.seed(2)
def row(t, n, scale, commit):
    s = [100.0 * scale * (1 + random.gauss(0, 0.01)) for _ in range(n)]
    return dict(build_commit=commit, n_prompt=512, n_gen=0, n_depth=0, n_threads=t,
                avg_ts=sum(s) / n, stddev_ts=1, samples_ts=s)
for name, scale in (('a', 1.0), ('b', 1.2)):
    with open(name + '.jsonl', 'w') as f:
        for t, n in ((1, 3), (2, 8), (4, 4)):
            f.write(json.dumps(row(t, n, scale, name * 4)) + '\n')
        r = row(8, 6, scale, name * 4)
        del r['samples_ts']  # a summary only
        f.write(json.dumps(dict(r, reps=6)) + '\n')
PY
run "$QB" import a.jsonl --label a
run "$QB" import b.jsonl --label b
run "$QB" compare a b --method bootstrap -o json
expect_rc 0 "bootstrap"
expect_err "quantbench: warning: the bootstrap needs 5 samples on each side: 3 of 4 rows have fewer and use Welch's interval"
python3 - "$T/out" <<'PY' || fail "methods per row"
import json, sys
j = {x['settings']['n_threads']: x for x in json.load(open(sys.argv[1]))}
assert {t: j[t]['method'] for t in j} == {1: 'welch', 2: 'bootstrap', 4: 'welch', 8: 'welch'}, j
assert all(j[t]['ci95_lo'] is not None for t in (1, 2, 4)), j
PY
run "$QB" compare a b --method bootstrap
expect_rc 0 "bootstrap md"
expect_out_has "4 matched, 4 significant · 3 with fewer than 5 samples a side: Welch's interval, not bootstrap"
run "$QB" compare a b -o json
expect_rc 0 "welch"
expect_err ""
python3 -c "import json, sys; assert all(x['method'] == 'welch' for x in json.load(open(sys.argv[1])))" "$T/out" ||
    fail "welch rows"
echo ok
