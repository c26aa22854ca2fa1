# load and SIGINT: the requests in flight end at once (cause interrupted), the rest are
# never sent, the level's row is printed and stored, the run is marked interrupted, exit 130
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sig.sh"
trap 'for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done' EXIT
start_load_fake f --ttft-ms 20 --itl-ms 200
t0=$(date +%s)
bg "$QB" load --base-url "$FAKE_URL" --num-prompts 6 --max-concurrency 2 --random-input-len 4 \
    --random-output-len 50 -o json
wait_for 10 'grep -q "level 1/1" "$T/err"'
sleep 0.5
stop_with INT
expect_rc 130 "SIGINT"
[ $(($(date +%s) - t0)) -lt 8 ] || fail "SIGINT took $(($(date +%s) - t0)) s"
expect_err_has "interrupted by SIGINT: finished rows are kept"
json_get "$T/out" "(j[0]['qb_failures'], j[0]['qb_sent'], j[0]['qb_not_sent'], j[0]['completed'])" |
    grep -qxF "({'interrupted': 2}, 2, 4, 0)" || { cat "$T/out"; fail "interrupted row"; }
[ "$(sql quantbench.db "SELECT status FROM runs")" = interrupted ] || fail "the run's status"
[ "$(sql quantbench.db "SELECT count(*) FROM results WHERE kind = 'load'")" = 1 ] || fail "the row"
kill "$FAKE_PID"
wait "$FAKE_PID" 2>/dev/null
exit 0
