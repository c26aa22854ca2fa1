# synthesized dense and MoE models run in llama.cpp's llama-bench and in ours
. "$(dirname "$0")/lib.sh"
need_llama_tool llama-bench
for m in "$(model_dense)" "$(model_moe)"; do
    run "$LLAMA_BINDIR/llama-bench" -m "$m" -p 32 -n 8 -r 1 -t 2 -o json
    expect_rc 0 "llama-bench on $m"
    cp "$T/out" lb.json
    [ "$(json_get lb.json "len(j)")" = 2 ] || fail "llama-bench rows"
    run "$QB" bench -m "$m" -p 32 -n 8 -r 2 -t 2 -o json
    expect_rc 0 "quantbench bench on $m"
    cp "$T/out" qb.json
    # the same model facts as llama-bench reports
    [ "$(json_get qb.json "[(r['model_type'], r['model_size'], r['model_n_params']) for r in j]")" = \
      "$(json_get lb.json "[(r['model_type'], r['model_size'], r['model_n_params']) for r in j]")" ] || fail "model facts differ"
    [ "$(json_get qb.json "[(r['n_prompt'], r['n_gen'], r['status'], len(r['samples_ns'])) for r in j]")" = \
      "[(32, 0, 'ok', 2), (0, 8, 'ok', 2)]" ] || fail "rows: $(json_get qb.json "j")"
    [ "$(json_get qb.json "all(r['avg_ts'] > 0 and r['load_ns'] > 0 and r['build_commit'] == r['build_commit'] for r in j)")" = True ] || fail "timings"
    [ "$(json_get qb.json "j[0]['build_commit']")" = "$(json_get lb.json "j[0]['build_commit']")" ] || fail "build_commit differs"
done
# pp+tg at a depth, markdown
run "$QB" bench -m "$(model_dense)" -p 0 -n 0 -pg 16,4 -d 32 -r 2 -t 1
expect_rc 0
expect_out_has "pp16+tg4 @ d32"
expect_out_has "build: "
run "$QB" bench -m "$(model_dense)" -p 16 -n 0 -pg 16,4 -r 2 -t 1 -o jsonl
expect_rc 0
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "jsonl lines"
tail -1 "$T/out" >pg.json
[ "$(json_get pg.json "j['ttft_ns'] > 0 and j['pp_avg_ts'] > 0 and j['tg_avg_ts'] > 0 and len(j['samples_ttft_ns']) == 2")" = True ] || fail "pp+tg parts"
