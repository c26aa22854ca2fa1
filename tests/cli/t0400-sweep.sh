# sweep: a row per depth with sweep-bench's fields, -r spread at every depth, --stride,
# and exact errors for bad flags
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
run "$QB" sweep -m "$m" -c 256 -ub 64 -b 64 -n 8 -r 2 -t 1 -o jsonl
expect_rc 0
cp "$T/out" s.jsonl
python3 - s.jsonl <<'PY' || fail "sweep rows"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r['n_kv'] for r in rows] == [0, 64, 128, 192], [r['n_kv'] for r in rows]
for r in rows:
    for k in ('n_kv', 'pp', 'tg', 't_pp', 'speed_pp', 't_tg', 'speed_tg'):
        assert k in r, k
    assert r['pp'] == 64 and r['tg'] == 8 and r['status'] == 'ok'
    assert len(r['samples_pp_ns']) == 2 and len(r['samples_tg_ns']) == 2
    assert abs(r['speed_pp'] - sum(64e9 / x for x in r['samples_pp_ns']) / 2) < 1e-6 * r['speed_pp']
    assert abs(r['t_pp'] - sum(r['samples_pp_ns']) / 2e9) < 1e-9
    assert r['speed_pp_sd'] >= 0 and r['build_commit'] and r['model_n_params'] > 0
PY
expect_err_has "quantbench: sweep: 4 depths in"
run "$QB" sweep -m "$m" -c 256 -ub 64 -b 64 -n 8 --stride 2 -t 1 -o json
expect_rc 0
[ "$(json_get "$T/out" "[r['n_kv'] for r in j]")" = "[0, 128]" ] || fail "stride"
run "$QB" sweep -m "$m" -c 128 -ub 64 -b 64 -n 4 -t 1
expect_rc 0
head -1 "$T/out" | grep -qF '|     PP |     TG |   N_KV |   T_PP s |         S_PP t/s |   T_TG s |         S_TG t/s |' || { head -2 "$T/out"; fail "md header"; }
grep -qE '^\| +64 \| +4 \| +64 \| +[0-9.]+ \| +[0-9.]+ ± [0-9.]+ \|' "$T/out" || { cat "$T/out"; fail "md row"; }
# bad flags
chk() { local want=$1; shift; run "$QB" sweep "$@"; expect_rc 2 "$*"; expect_err "quantbench sweep: $want; try 'quantbench sweep --help'"; }
chk "missing -m MODEL" -c 256
chk "-n 100 exceeds -ub 64 (the last depth has room for one ubatch)" -m "$m" -ub 64 -b 64 -n 100
chk "-c 32 is smaller than -ub 64" -m "$m" -c 32 -ub 64 -b 64
chk "invalid value '0' for --stride (expected an integer in 1..16777216)" -m "$m" --stride 0
chk "-ub 4096 exceeds -b 2048" -m "$m" -ub 4096
chk "invalid value 'x' for -c (expected an integer in 1..16777216)" -m "$m" -c x
chk "unknown flag '-pg'" -m "$m" -pg 1,2
chk "invalid output format 'sql' (md, csv, json, jsonl)" -m "$m" -o sql
run "$QB" sweep -m missing.gguf
expect_rc 3
expect_err "quantbench: error: cannot open 'missing.gguf': No such file or directory"
