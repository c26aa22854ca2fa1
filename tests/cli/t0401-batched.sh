# batched: batched-bench's rows and math, shared prompts, oversize combinations as
# failed rows, exact errors for bad flags
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
run "$QB" batched -m "$m" -c 256 -b 128 -ub 64 -npp 16,32 -ntg 4 -npl 1,2,8 -r 2 -t 1 -o jsonl
expect_rc 4
cp "$T/out" b.jsonl
python3 - b.jsonl <<'PY' || fail "batched rows"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [(r['pp'], r['pl'], r['status']) for r in rows] == [
    (16, 1, 'ok'), (16, 2, 'ok'), (16, 8, 'ok'), (32, 1, 'ok'), (32, 2, 'ok'), (32, 8, 'error')], rows
keys = ['n_kv_max', 'n_batch', 'n_ubatch', 'flash_attn', 'is_pp_shared', 'n_gpu_layers', 'n_threads',
        'n_threads_batch', 'pp', 'tg', 'pl', 'n_kv', 't_pp', 'speed_pp', 't_tg', 'speed_tg', 't', 'speed']
for r in rows:
    assert list(r)[:len(keys)] == keys, list(r)[:len(keys)]
    assert r['n_kv'] == r['pl'] * (r['pp'] + r['tg']) and r['n_kv_max'] == 256
ok = [r for r in rows if r['status'] == 'ok']
for r in ok:
    pp, tg = r['samples_pp_ns'], r['samples_tg_ns']
    assert len(pp) == 2 and len(tg) == 2
    s_pp = sum(r['pl'] * r['pp'] / (x / 1e9) for x in pp) / 2
    s_tg = sum(r['pl'] * r['tg'] / (x / 1e9) for x in tg) / 2
    assert abs(r['speed_pp'] - s_pp) < 1e-6 * s_pp and abs(r['speed_tg'] - s_tg) < 1e-6 * s_tg
    assert r['ttft_ns'] > 0 and r['model_type'] and r['host']
bad = rows[-1]
assert bad['error'] == 'needs 288 KV cells, the context (-c) has 256', bad['error']
PY
# the error line; with -r 2 a noisy-rows warning may follow on a busy machine (t0331)
[ "$(grep -v '^quantbench: warning: .* rows noisy (' "$T/err")" = "quantbench: error: PP 32 TG 4 B 8: needs 288 KV cells, the context (-c) has 256" ] ||
    { cat "$T/err"; fail "the error line"; }
run "$QB" batched -m "$m" -c 256 -b 128 -ub 64 -npp 32 -ntg 4 -npl 4 -pps -t 1 -o json
expect_rc 0
[ "$(json_get "$T/out" "(j[0]['is_pp_shared'], j[0]['n_kv'], j[0]['status'], round(j[0]['speed_pp'] * j[0]['t_pp']))")" = "(1, 144, 'ok', 32)" ] || fail "shared: $(cat "$T/out")"
run "$QB" batched -m "$m" -c 256 -b 128 -ub 64 -npp 16 -ntg 4 -npl 2 -t 1
expect_rc 0
head -1 "$T/out" | grep -qF '|     PP |     TG |    B |   N_KV |   T_PP s |         S_PP t/s |   T_TG s |         S_TG t/s |      T s |            S t/s |' || { head -1 "$T/out"; fail "md header"; }
# a crash is a row too
cp "$m" crashme.gguf
QB_TEST_FAULT=segv:crashme run "$QB" batched -m crashme.gguf -c 256 -b 128 -ub 64 -npp 16 -ntg 4 -npl 1,2 -t 1 -o jsonl
expect_rc 1
[ "$(grep -c '"status":"crashed"' "$T/out")" -eq 2 ] || { cat "$T/out"; fail "crash rows"; }
chk() { local want=$1; shift; run "$QB" batched "$@"; expect_rc 2 "$*"; expect_err "quantbench batched: $want; try 'quantbench batched --help'"; }
chk "missing -m MODEL" -npp 16
chk "invalid value '0' for -npl (expected an integer in 1..256)" -m "$m" -npl 0
chk "invalid value 'x' for -npp (expected an integer in 1..16777216)" -m "$m" -npp x
chk "range '8-2' for -ntg expands to nothing" -m "$m" -ntg 8-2
chk "-npp needs a value" -m "$m" -npp
chk "unknown flag '--frob'" -m "$m" --frob
