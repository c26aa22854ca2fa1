# progress with an ETA on stderr for the long-running commands: with --progress (stderr
# not a terminal) plain lines "CMD: UNIT N/M, E s elapsed, ETA R s" with N increasing to
# M; on a terminal one line redrawn with \r; neither without a terminal or with
# --no-progress, so stderr keeps only the diagnostics
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
text=/usr/share/common-licenses/GPL-3 # Debian's base-files
[ -f "$text" ] || { echo "no $text"; exit 77; }

# lines PREFIX UNIT [MIN]: stderr's progress lines of PREFIX (at least MIN, default 2)
# count UNIT up to their total, each with an ETA, the last one done
lines() {
    python3 - "$T/err" "$1" "$2" "${3:-2}" <<'PY' || fail "progress of '$1': $(cat "$T/err")"
import re, sys
err, prefix, unit, least = sys.argv[1:]
pat = re.compile(r'^%s: %s (\d+)/(\d+), (\d+) s elapsed, ETA (\d+) s$' % (re.escape(prefix), unit))
got = [pat.match(l) for l in open(err).read().splitlines() if l.startswith(prefix + ': ' + unit)]
assert len(got) >= int(least) and all(got), got
done = [int(g.group(1)) for g in got]
assert done == sorted(set(done)) and done[0] >= 1, done
assert done[-1] == int(got[-1].group(2)) and got[-1].group(4) == '0', got[-1].group(0)
PY
}
no_progress() { grep -q 'ETA' "$T/err" && fail "progress without --progress: $(cat "$T/err")"; return 0; }

run "$QB" quality -m "$m" -f "$text" -c 128 -b 128 --chunks 4 -t 1 --no-db --progress
expect_rc 0 "quality"
lines quality chunk
grep -q '^quality: chunk 1/4, ' "$T/err" && grep -q '^quality: chunk 4/4, ' "$T/err" || fail "chunks 1 and 4 of 4"
run "$QB" quality -m "$m" -f "$text" -c 128 -b 128 --chunks 4 -t 1 --no-db
expect_rc 0
no_progress

run "$QB" sweep -m "$m" -c 256 -ub 64 -b 64 -n 4 -t 1 --no-db --progress -o jsonl
expect_rc 0 "sweep"
lines sweep depth
grep -q '^sweep: depth 4/4, ' "$T/err" || fail "4 depths"
run "$QB" sweep -m "$m" -c 256 -ub 64 -b 64 -n 4 -t 1 --no-db -o jsonl
no_progress

run "$QB" batched -m "$m" -c 256 -npp 8 -ntg 2 -npl 1,2,3 -t 1 --no-db --progress -o jsonl
expect_rc 0 "batched"
lines batched test
grep -q '^batched: test 3/3, ' "$T/err" || fail "3 tests"

# ctxmax: the seed probe (512) crashes, 256 runs, its full-decode check runs: 3 probes
QB_TEST_FAULT_CTX=512 run "$QB" ctxmax -m "$m" --max 512 -t 1 --no-db --progress -o json
expect_rc 0 "ctxmax"
lines ctxmax probe
grep -q '^ctxmax: probe 3/3, ' "$T/err" || fail "3 probes"
QB_TEST_FAULT_CTX=512 run "$QB" ctxmax -m "$m" --max 512 -t 1 --no-db --progress --no-progress
no_progress

"$QB" synth -o src-F16.gguf --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 2048 \
    --type F16 --seed 41 >&2 || fail "synth"
run "$QB" quantize -m src-F16.gguf --types Q8_0,Q4_0 -o ladder -t 1 --no-db --progress \
    --imatrix-from "$text" -c 128 --chunks 3
expect_rc 0 "quantize"
lines quantize rung
lines "quantize: importance matrix" chunk 1 # all 3 chunks in one decode (-b 2048)
grep -q '^quantize: rung 2/2, ' "$T/err" || fail "2 rungs"
run "$QB" quantize -m src-F16.gguf --types Q8_0,Q4_0 -o ladder -t 1 --no-db
expect_rc 0
no_progress

# on a terminal: on by itself, one line redrawn in place
command -v script >/dev/null || { echo "no script(1)"; exit 77; }
script -qec "'$QB' sweep -m '$m' -c 256 -ub 64 -b 64 -n 4 -t 1 --no-db -o jsonl >/dev/null" \
    /dev/null >tty.txt || fail "sweep on a tty"
grep -qF $'\rsweep: depth 1/4, ' tty.txt && grep -qF $'\rsweep: depth 4/4, ' tty.txt ||
    fail "tty progress: $(od -c tty.txt | head)"
script -qec "'$QB' sweep -m '$m' -c 256 -ub 64 -b 64 -n 4 -t 1 --no-db -o jsonl --no-progress >/dev/null" \
    /dev/null >tty.txt || fail "sweep --no-progress on a tty"
grep -q 'ETA' tty.txt && fail "--no-progress on a tty"
exit 0
