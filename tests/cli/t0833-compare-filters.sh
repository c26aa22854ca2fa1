# compare: an unknown filter key on either side is a usage error listing the keys (it crashed:
# 'compare foo=1 B' segfaulted, 'label=x,flash_attn=0' aborted in free()); every setting
# filters, by its field, llama-bench flag or long name (fa=, t=, threads=, type_k=, ctk=,
# ot=...); --unmatched lists the rows without a partner with the settings that differ
. "$(dirname "$0")/lib.sh"
python3 - <<'PY'
import json, random
random.seed(5)
def rows(scale, commit, threads, ot):
    for t in threads:
        for fa in (0, 1):
            for tk in ('f16', 'q8_0'):
                s = [100.0 * t * scale * (1 + random.gauss(0, 0.01)) for _ in range(6)]
                yield dict(build_commit=commit, build_number=1, model_filename='m.gguf',
                           model_type='llama 1B Q4_0', model_size=1000, model_n_params=10,
                           n_batch=2048, n_ubatch=512, n_threads=t, type_k=tk, type_v='f16',
                           n_gpu_layers=99, flash_attn=fa, tensor_buft_overrides=ot, n_prompt=512,
                           n_gen=0, n_depth=0, avg_ts=sum(s) / len(s), stddev_ts=0, samples_ts=s)
for name, scale, commit, threads, ot in (('a', 1.0, 'aaaa111', (1, 2, 4), 'none'),
                                         ('b', 1.1, 'bbbb222', (1, 2, 8), 'none'),
                                         ('c', 1.0, 'cccc333', (1,), 'exps=CPU')):
    with open(name + '.jsonl', 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in rows(scale, commit, threads, ot))
PY
for s in a b c; do
    run "$QB" import $s.jsonl --label side-$s
    expect_rc 0 "import $s"
done

keys="run, label, kind, model, quant, build or a setting: n_prompt/p n_gen/n n_depth/d pp/npp tg/ntg pl/npl n_kv is_pp_shared/pps n_kv_max n_ctx/c/ctx_size n_batch/b/batch_size n_ubatch/ub/ubatch_size n_seq/np/parallel n_threads/t/threads n_threads_batch/tb/threads_batch cpu_mask/C cpu_strict poll type_k/ctk/cache_type_k type_v/ctv/cache_type_v n_gpu_layers/ngl n_cpu_moe/ncmoe split_mode/sm main_gpu/mg no_kv_offload/nkvo flash_attn/fa devices/dev/device tensor_split/ts tensor_buft_overrides/ot/override_tensor use_mmap/mmp/mmap load_mode/lm embeddings/embd no_op_offload/nopo text n_parallel kv_unified/kvu endpoint dataset max_concurrency request_rate burstiness ramp_up_strategy random_input_len random_output_len random_range_ratio random_prefix_len cache_bust num_prompts"
usage() { # side key args...
    local side=$1 key=$2
    shift 2
    run "$QB" compare "$@"
    expect_rc 2 "$*"
    expect_err "quantbench compare: $side: unknown filter key '$key' ($keys); try 'quantbench compare --help'"
}
usage A foo foo=1 side-b
usage A colour label=x,colour=red side-b
usage B foo side-a foo=1
usage B bar side-a label=side-b,bar=2
run "$QB" report foo=1
expect_rc 2 "report foo=1"
expect_err "quantbench report: unknown filter key 'foo' ($keys); try 'quantbench report --help'"
run "$QB" compare label=x,flash_attn=0 side-b
expect_rc 3 "flash_attn is a setting"
expect_err "quantbench: error: A ('label=x,flash_attn=0') matches no stored rows"

# settings by field, flag and long name, on both sides
nrows() { python3 -c "import json, sys; print(len(json.load(open(sys.argv[1]))))" "$T/out"; }
for spec in "label=side-a,fa=1,t=2|label=side-b,flash_attn=on,threads=2|2" \
    "label=side-a,ctk=q8_0|label=side-b,type_k=Q8_0|4" \
    "label=side-a,cache-type-k=f16,n_threads=1|label=side-b,fa=0,ctk=f16|1" \
    "side-a|label=side-b,t=1|4"; do
    IFS='|' read -r a b n <<<"$spec"
    run "$QB" compare "$a" "$b" -o json
    expect_rc 0 "$a vs $b"
    [ "$(nrows)" = "$n" ] || fail "$a vs $b: $(nrows) lines, want $n"
done
run "$QB" compare label=side-a,fa=1,t=2 label=side-b,fa=1,t=2 -o json
python3 - "$T/out" <<'PY' || fail "settings of the filtered lines"
import json, sys
j = json.load(open(sys.argv[1]))
assert len(j) == 2 and all(x['settings']['flash_attn'] == 1 and x['settings']['n_threads'] == 2 for x in j), j
PY
run "$QB" compare side-a,ot=exps=CPU side-c
expect_rc 2 "a label with a comma"
run "$QB" compare label=side-c,ot=exps=CPU label=side-a,ot=none
expect_rc 1 "ot= matches; nothing in common"
expect_err "quantbench: error: no rows of A ('label=side-c,ot=exps=CPU') and B ('label=side-a,ot=none') have the same test and settings"

# the unmatched rows, on request
run "$QB" compare side-a side-b
expect_rc 0 "a b"
expect_out_has "8 matched, 8 significant · unmatched rows: 4 in A, 4 in B (--unmatched lists them)"
grep -q "^| side |" "$T/out" && fail "unmatched rows listed without --unmatched"
run "$QB" compare side-a side-b --unmatched
expect_rc 0 "--unmatched"
expect_out_has "unmatched rows: 4 in A, 4 in B ·"
expect_out_has "| side | run | row | test | differs |"
[ "$(grep -c '^| A | 1 | [0-9]* | pp512 | n_threads=4 (B: [128]) |$' "$T/out")" = 4 ] || fail "A's unmatched rows"
[ "$(grep -c '^| B | 2 | [0-9]* | pp512 | n_threads=8 (A: [124]) |$' "$T/out")" = 4 ] || fail "B's unmatched rows"
run "$QB" compare side-a side-c --unmatched -o json
expect_rc 1 "nothing matched, listed"
expect_err "quantbench: error: no rows of A ('side-a') and B ('side-c') have the same test and settings"
python3 - "$T/out" <<'PY' || fail "--unmatched json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j['matched'] == [] and len(j['unmatched']) == 16, j
a = [u for u in j['unmatched'] if u['side'] == 'A']
b = [u for u in j['unmatched'] if u['side'] == 'B']
assert len(a) == 12 and len(b) == 4
assert all(u['run_id'] == 1 and u['test'] == 'pp512' and u['kind'] == 'bench' for u in a)
one = [u for u in a if len(u['differs']) == 1]
assert len(one) == 4 and all(u['differs'] == [{'setting': 'tensor_buft_overrides', 'value': 'none', 'other': 'exps=CPU'}] for u in one), one
assert all(u['differs'] == [{'setting': 'tensor_buft_overrides', 'value': 'exps=CPU', 'other': 'none'}] for u in b), b
assert sorted(u['id'] for u in j['unmatched']) == [u['id'] for u in j['unmatched']]
PY
run "$QB" compare side-a side-b --unmatched -o csv
expect_rc 2 "--unmatched csv"
expect_err "quantbench compare: --unmatched lists rows in md or json output, not csv; try 'quantbench compare --help'"
echo ok
