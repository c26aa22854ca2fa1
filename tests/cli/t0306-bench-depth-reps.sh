# depth is filled once per (model load, depth) and restored before every repetition;
# -r auto stops on its CI target or cap; --progress shows the test and an ETA
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
run "$QB" bench -m "$m" -p 16 -n 4 -d 64,32 -r 3 -t 1 -o json
expect_rc 0
cp "$T/out" d.json
[ "$(json_get d.json "[(r['n_depth'], r['n_prompt'], r['depth_fills'], r['depth_ns'] > 0, len(r['samples_ns'])) for r in j]")" = \
  "[(64, 16, 1, True, 3), (64, 0, 0, False, 3), (32, 16, 1, True, 3), (32, 0, 0, False, 3)]" ] || fail "depth fills: $(json_get d.json "[(r['n_depth'], r['depth_fills']) for r in j]")"
run "$QB" bench -m "$m" -p 16 -n 4 -d 64 -r 2 -t 1
expect_rc 0
expect_out_has "pp16 @ d64"
expect_out_has "tg4 @ d64"
# adaptive repetitions
run "$QB" bench -m "$m" -p 16 -n 0 -r auto --max-reps 6 --min-reps 3 --ci-target 50 -t 1 -o json
expect_rc 0
cp "$T/out" a.json
python3 -c "
import json; r = json.load(open('a.json'))[0]
assert 3 <= r['reps'] <= 6 and r['reps'] == len(r['samples_ns']), r['reps']
assert r['reps_stop'] in ('ci', 'reps', 'time'), r['reps_stop']
assert r['reps_stop'] != 'ci' or r['ci95_ts'] / r['avg_ts'] <= 0.5
" || fail "auto reps"
run "$QB" bench -m "$m" -p 16 -n 0 -r auto --max-reps 4 --ci-target 0.0001 -t 1 -o json
expect_rc 0
[ "$(json_get "$T/out" "(j[0]['reps'], j[0]['reps_stop'])")" = "(4, 'reps')" ] || fail "auto cap"
# progress
run "$QB" bench -m "$m" -p 16 -n 4 -r 1 -t 1 --progress
expect_rc 0
expect_err_has "quantbench: [....................] 1/2 '$m' pp16 t=1, ETA ?"
grep -qE "quantbench: \[#{10}\.{10}\] 2/2 '.*' tg4 t=1, ETA [0-9]+s" "$T/err" || { cat "$T/err"; fail "progress line 2"; }
# CPU placement and priority flags reach the row
run "$QB" bench -m "$m" -p 16 -n 0 -r 1 -t 1 -C 0x1 --cpu-strict 1 --poll 0 --prio 0 --delay 0.1 -o json
expect_rc 0
[ "$(json_get "$T/out" "(j[0]['cpu_mask'], j[0]['cpu_strict'], j[0]['poll'], j[0]['delay_s'], j[0]['status'])")" = "('0x1', True, 0, 0.1, 'ok')" ] || fail "placement fields"
# MoE with experts kept on the CPU and an explicit override
run "$QB" bench -m "$(model_moe)" -p 16 -n 0 -r 1 -t 1 -ncmoe 0,2 -ot "exps=CPU" -o json
expect_rc 0
[ "$(json_get "$T/out" "[(r['n_cpu_moe'], r['tensor_buft_overrides'], r['status']) for r in j]")" = "[(0, 'exps=CPU', 'ok'), (2, 'exps=CPU', 'ok')]" ] || fail "ncmoe/ot"
