# ctxmax's cheap probes (cells below the last ubatch occupied, not decoded): the search's
# answer equals the full-fill search's (--full-fill), a cheap probe peaks within 1% of a
# full decode of the same context, the answer is checked once by a full decode, a check
# that fails steps the answer down, and stderr has one line per probe
. "$(dirname "$0")/lib.sh"
m="$MODELS/ctxmax.gguf"
[ -f "$m" ] || "$QB" synth -o "$m" --layers 4 --embd 256 --heads 4 --kv-heads 4 --ff 768 \
    --ctx 8192 --type Q8_0 --seed 5 >&2 || fail "synth"
kv=(-ctk f32 -ctv f32 -t 2)
peak() { # N_CTX: peak RSS of a real load plus a full-context decode
    "$QB" mem -m "$m" -c "$1" "${kv[@]}" --fill --no-dry-run -o json |
        python3 -c "import json,sys; print(int(json.load(sys.stdin)['models'][0]['measured']['rss_peak']))"
}
p1=$(peak 2048) && p2=$(peak 2304) || fail "mem --fill"
budget=$(((p1 + p2) / 2))
run "$QB" ctxmax -m "$m" "${kv[@]}" --budget "$budget" --max 8192 -o json
expect_rc 0
cp "$T/out" cheap.json
cp "$T/err" cheap.err
run "$QB" ctxmax -m "$m" "${kv[@]}" --budget "$budget" --max 8192 --full-fill -o json
expect_rc 0
cp "$T/out" full.json
# under ASan (make asan) freed host memory sits in the quarantine instead of being reused, and
# a full decode frees one set of host buffers per ubatch where a cheap probe frees one: the
# peaks are compared within 1% in a plain build, within 5% in a sanitized one
tol=100
[ -n "${QB_SANITIZED:-}" ] && tol=20
python3 - cheap.json full.json cheap.err "$budget" "$tol" <<'PY' || fail "cheap search against full fill"
import json, re, sys
c = json.load(open(sys.argv[1])); f = json.load(open(sys.argv[2]))
err = open(sys.argv[3]).read().splitlines(); budget = int(sys.argv[4]); tol = int(sys.argv[5])
assert c['n_ctx_max'] == f['n_ctx_max'] == 2048, (c['n_ctx_max'], f['n_ctx_max'])
assert c['checked'] and c['stepped_down'] == 0 and not c['full_fill'], c
assert f['full_fill'] and not f['checked'], f
search = [p for p in c['probes'] if not p['check']]
checks = [p for p in c['probes'] if p['check']]
# a context within one ubatch has nothing below it to occupy: it is decoded whole
assert all(p['fill'] == ('occupied' if p['n_ctx'] > 513 else 'decoded') for p in search), search
assert len(checks) == 1 and checks[0] == c['probes'][-1], checks
assert checks[0]['n_ctx'] == 2048 and checks[0]['ok'] and checks[0]['fill'] == 'full', checks
assert all(p['fill'] == 'full' and not p['check'] for p in f['probes']), f['probes']
for p in search:
    assert p['ok'] == (p['rss_peak'] <= budget), p
# fidelity: a cheap probe peaks where a full decode of the same context does (within 1%)
full = {p['n_ctx']: p['rss_peak'] for p in f['probes'] if p['ok']}
both = [p for p in search if p['ok'] and p['n_ctx'] in full]
assert both, 'no context probed both ways'
for p in both:
    d = abs(p['rss_peak'] - full[p['n_ctx']])
    assert d <= full[p['n_ctx']] / tol, (p, full[p['n_ctx']])
# one progress line per probe, in order, with the probes left counting down to 0
lines = [l for l in err if l.startswith('ctxmax: n_ctx ')]
assert len(lines) == len(c['probes']), (lines, len(c['probes']))
for i, (l, p) in enumerate(zip(lines, c['probes'])):
    m = re.match(r'ctxmax: n_ctx (\d+) \(probe (\d+), (final check, )?(occupied|decoded|full)\): '
                 r'(ok|failed: .+), [0-9.]+ s, (\d+) left$', l)
    assert m, l
    assert int(m[2]) == i + 1 and int(m[1]) == p['n_ctx'] and (m[5] == 'ok') == p['ok'], l
assert lines[-1].endswith(' 0 left') and 'final check' in lines[-1], lines[-1]
PY
# the cheap probe's peak against mem --fill's at a larger context (within 1%)
run "$QB" ctxmax -m "$m" "${kv[@]}" --max 6144 --step 6144 -o json
expect_rc 0
p6=$(peak 6144) || fail "mem --fill 6144"
python3 - "$T/out" "$p6" "$tol" <<'PY' || fail "cheap peak at 6144"
import json, sys
j = json.load(open(sys.argv[1])); full = int(sys.argv[2]); tol = int(sys.argv[3])
p = j['probes'][0]
assert p['n_ctx'] == 6144 and p['fill'] == 'occupied' and p['ok'], p
assert abs(p['rss_peak'] - full) <= full / tol, (p['rss_peak'], full)
assert j['n_ctx_max'] == 6144 and j['checked'], j
PY
# a full decode that fails at the search's answer steps the answer down, and says so
QB_TEST_FAULT_FULL_CTX=2048 run "$QB" ctxmax -m "$m" "${kv[@]}" --budget "$budget" --max 8192 \
    -o json
expect_rc 0
python3 - "$T/out" <<'PY' || fail "failed final check"
import json, sys
j = json.load(open(sys.argv[1]))
assert j['searched_n_ctx'] == 2048 and j['n_ctx_max'] == 1792, j
assert j['checked'] and j['stepped_down'] == 1, j
checks = [p for p in j['probes'] if p['check']]
assert [(p['n_ctx'], p['ok']) for p in checks] == [(2048, False), (1792, True)], checks
assert 'SIGSEGV' in checks[0]['reason'], checks[0]
PY
QB_TEST_FAULT_FULL_CTX=2048 run "$QB" ctxmax -m "$m" "${kv[@]}" --budget "$budget" --max 8192
expect_rc 0
expect_out_has "largest context that runs: **1792**"
expect_out_has "checked by a full decode at 1792 (the search's answer failed it: stepped down)"
grep -qE "^ctxmax: n_ctx 2048 \(probe [0-9]+, final check, full\): failed: " "$T/err" || fail "the failed check's line"
