# compare: rows matched on test and settings across runs, labels and filters; Welch and
# bootstrap intervals; a known difference is found, equal samples are not; csv, json, SVG plot
. "$(dirname "$0")/lib.sh"
m=$(model_dense)

# synthetic llama-bench jsonl: B is A times 1.2 at every depth, C equals A
python3 - <<'PY'
import json, random
random.seed(3)
def rows(scale, commit):
    out = []
    for d in (0, 512, 1024, 2048):
        for t in (1, 2):
            base = 100.0 * t / (1 + d / 1024)
            s = [base * scale * (1 + random.gauss(0, 0.01)) for _ in range(6)]
            out.append(dict(build_commit=commit, build_number=1, model_filename='m.gguf',
                            model_type='llama 1B Q4_0', model_size=1000, model_n_params=10,
                            n_batch=2048, n_ubatch=512, n_threads=t, type_k='f16', type_v='f16',
                            n_gpu_layers=99, flash_attn=0, n_prompt=512, n_gen=0, n_depth=d,
                            avg_ts=sum(s) / len(s), stddev_ts=0, samples_ts=s,
                            samples_ns=[int(512e9 / x) for x in s]))
    return out
for name, scale, commit in (('a', 1.0, 'aaaa111'), ('b', 1.2, 'bbbb222'), ('c', 1.0, 'cccc333'),
                            ('d', 1.2, 'dddd444')):
    with open(name + '.jsonl', 'w') as f:
        for r in rows(scale, commit):
            f.write(json.dumps(r) + '\n')
PY
for s in a b c; do
    run "$QB" import $s.jsonl --label side-$s
    expect_rc 0 "import $s"
done
run "$QB" compare side-a side-b
expect_rc 0 "compare a b"
python3 - "$T/out" <<'PY' || fail "known +20% not found"
import sys
lines = [l for l in open(sys.argv[1]) if l.startswith('| pp512')]
assert len(lines) == 8, lines
for l in lines:
    c = [x.strip() for x in l.strip().strip('|').split('|')]
    delta, ci, sig = float(c[-3]), c[-2], c[-1]
    lo, hi = map(float, ci.strip('[]').split(','))
    assert 18 < delta < 22 and lo < 1.2 < hi and sig == '*', l
PY
expect_out_has "| test | n_depth | n_threads | metric | A | B | Δ% | 95% CI of B/A | sig |"
expect_out_has "A: side-a · B: side-b · 8 matched, 8 significant"
run "$QB" compare side-a side-b --method bootstrap -o json
expect_rc 0 "bootstrap"
python3 - "$T/out" <<'PY' || fail "bootstrap interval"
import json, sys
j = json.load(open(sys.argv[1]))
assert len(j) == 8 and all(x['significant'] and x['ci95_lo'] < 1.2 * 1.03 and x['ci95_hi'] > 1.2 * 0.97 for x in j), j
PY
run "$QB" compare side-a side-c -o json
expect_rc 0 "compare a c"
python3 - "$T/out" <<'PY' || fail "A/A"
import json, sys
j = json.load(open(sys.argv[1]))
assert len(j) == 8
assert sum(x['significant'] for x in j) <= 1, j
assert all(x['ci95_lo'] <= x['ratio'] <= x['ci95_hi'] for x in j)
PY
# two runs on each side: the interval is over the run means
run "$QB" import a.jsonl c.jsonl --label multi-a --force # a, b, c were imported above
run "$QB" import b.jsonl d.jsonl --label multi-b --force
run "$QB" compare multi-a multi-b -o json
expect_rc 0 "by runs"
python3 - "$T/out" <<'PY' || fail "intervals over run means"
import json, sys
j = json.load(open(sys.argv[1]))
assert len(j) == 8 and all(x['by_runs'] and x['runs_a'] == 2 and x['runs_b'] == 2 for x in j), j
assert all(x['significant'] and x['ci95_lo'] < x['ratio'] < x['ci95_hi'] for x in j)
assert all(abs(x['ratio'] - 1.2) < 0.03 for x in j)
PY
run "$QB" compare multi-a multi-b
expect_out_has "8 matched, 8 significant · intervals over run means"
run "$QB" compare side-a side-c
expect_out_has "run-to-run noise 2.0% assumed"
# without the run-to-run term, the same A/A data flags more rows (repetitions alone)
run "$QB" compare side-a side-c --run-noise 0 -o json
expect_rc 0 "--run-noise 0"

# filters: build prefix and kind; csv
run "$QB" compare build=aaaa build=bbbb,kind=bench -o csv --plot plot.svg
expect_rc 0 "filters"
head -1 "$T/out" | grep -qx 'test,settings,metric,a_mean,a_sd,a_n,b_mean,b_sd,b_n,ratio,delta_pct,ci95_lo,ci95_hi,significant' ||
    fail "csv header"
[ "$(wc -l <"$T/out")" = 9 ] || fail "csv rows"
python3 - plot.svg <<'PY' || fail "plot"
import sys, xml.etree.ElementTree as ET
ns = {'s': 'http://www.w3.org/2000/svg'}
root = ET.parse(sys.argv[1]).getroot()
series = root.findall(".//s:g[@class='series']", ns)
assert len(series) == 4, len(series)  # (A, B) x (t=1, t=2), x = depth
assert all(len(g.findall('s:circle', ns)) == 4 for g in series)
assert len(root.findall(".//s:line[@class='err']", ns)) == 16
assert 'n_depth' in ET.tostring(root, encoding='unicode')
PY

# two real runs of the same build: rows match, the output names both
run "$QB" bench -m "$m" -p 16 -n 4 -r 3 --label r1
run "$QB" bench -m "$m" -p 16 -n 4 -r 3 --label r2
run "$QB" compare r1 r2
expect_rc 0 "real A/A"
expect_out_has "| pp16 | t/s |"
expect_out_has "| tg4 | t/s |"
# run ids
id1=$(sqlite3 quantbench.db "SELECT id FROM runs WHERE label = 'r1'")
id2=$(sqlite3 quantbench.db "SELECT id FROM runs WHERE label = 'r2'")
run "$QB" compare "$id1" "run=$id2"
expect_rc 0 "by id"
expect_out_has "2 matched"

# errors
chk() { # rc message args...
    local want_rc=$1 want=$2; shift 2
    run "$QB" compare "$@"
    expect_rc "$want_rc" "$*"
    expect_err "$want"
}
chk 2 "quantbench compare: need two sides, A and B; try 'quantbench compare --help'" side-a
chk 2 "quantbench compare: more than two sides given ('x'); try 'quantbench compare --help'" a b x
chk 2 "quantbench compare: unknown method 'magic' (welch or bootstrap); try 'quantbench compare --help'" a b --method magic
chk 2 "quantbench compare: --plot writes SVG: give a FILE.svg, not 'p.png'; try 'quantbench compare --help'" a b --plot p.png
chk 2 "quantbench compare: invalid output format 'xml' (md, csv, json, jsonl); try 'quantbench compare --help'" a b -o xml
chk 2 "quantbench compare: invalid value 'lots' for --run-noise (percent, 0..100); try 'quantbench compare --help'" a b --run-noise lots
chk 2 "quantbench compare: B: unknown filter key 'colour' (run, label, kind, model, quant, build or a setting: n_prompt/p n_gen/n n_depth/d pp/npp tg/ntg pl/npl n_kv is_pp_shared/pps n_kv_max n_ctx/c/ctx_size n_batch/b/batch_size n_ubatch/ub/ubatch_size n_seq/np/parallel n_threads/t/threads n_threads_batch/tb/threads_batch cpu_mask/C cpu_strict poll type_k/ctk/cache_type_k type_v/ctv/cache_type_v n_gpu_layers/ngl n_cpu_moe/ncmoe split_mode/sm main_gpu/mg no_kv_offload/nkvo flash_attn/fa devices/dev/device tensor_split/ts tensor_buft_overrides/ot/override_tensor use_mmap/mmp/mmap load_mode/lm embeddings/embd no_op_offload/nopo text n_parallel kv_unified/kvu endpoint dataset max_concurrency request_rate burstiness ramp_up_strategy random_input_len random_output_len random_range_ratio random_prefix_len cache_bust num_prompts); try 'quantbench compare --help'" a colour=red
chk 3 "quantbench: error: A ('nope') matches no stored rows" nope side-b
chk 1 "quantbench: error: no rows of A ('side-a') and B ('r1') have the same test and settings" side-a r1
chk 3 "quantbench: error: no results database at 'missing.db' (run a measuring command first, or give --db PATH)" a b --db missing.db
[ ! -e missing.db ] || fail "compare created a database"
echo ok
