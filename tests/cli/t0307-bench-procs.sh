# bench --procs N: each test's repetitions spread over N fresh worker processes (the
# samples then carry process-to-process variation); rows merge every pass's samples
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
run "$QB" bench -m "$m" -p 16 -n 4 -d 8 -r 5 --procs 2 -o json --no-db
expect_rc 0 "--procs 2"
python3 - "$T/out" <<'PY' || fail "--procs rows"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 2, rows
for r in rows:
    assert r['status'] == 'ok' and len(r['samples_ns']) == 5 and len(r['samples_ts']) == 5, r
    assert len(r['samples_pp_ns']) == 5 and len(r['samples_ttft_ns']) == 5
# the depth is filled once per process: a fresh worker for each pass
assert sum(r['depth_fills'] for r in rows) == 2, [r['depth_fills'] for r in rows]
PY
run "$QB" bench -m "$m" -p 16 -n 0 -d 8 -r 3 --no-db -o json
json_get "$T/out" "j[0]['depth_fills']" | grep -qx 1 || fail "one process fills once"
chk() { # message args...
    local want=$1; shift
    run "$QB" bench -m "$m" "$@"
    expect_rc 2 "$*"
    expect_err "quantbench bench: $want; try 'quantbench bench --help'"
}
chk "invalid value '0' for --procs (expected 1..64)" --procs 0
chk "--procs 3 needs -r of at least 3" --procs 3 -r 2
chk "--procs needs a fixed -r, not auto" --procs 2 -r auto
chk "--procs needs a value" --procs
echo ok
