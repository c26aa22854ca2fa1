# pull's HF_TOKEN goes as "Authorization: Bearer" to the Hub (the HF_ENDPOINT host and port)
# and never to the CDN its resolve redirects to (another host name and port): the fake
# logs the header each request carried. A gated repository without the token, or with a
# wrong one, is a one-line error (exit 1).
. "$(dirname "$0")/lib.sh"
trap 'for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done' EXIT

R=$T/root/org/gated
mkdir -p "$R"
head -c 300000 /dev/urandom >"$R/g-Q4_K_M.gguf"
start_hf_fake hf "$T/root" --require-token s3cret

HF_TOKEN=s3cret run "$QB" pull org/gated -o dl
expect_rc 0 "with the token"
cmp -s dl/g-Q4_K_M.gguf "$R/g-Q4_K_M.gguf" || fail "the file differs"
python3 - hf/hf.log <<'PY' || fail "where the token went"
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
api = [r for r in log if r['server'] == 'api']
cdn = [r for r in log if r['server'] == 'cdn']
assert api and cdn, log
assert all(r['auth'] == 'Bearer s3cret' for r in api), api
assert all(r['auth'] is None for r in cdn), cdn  # the redirect's host got no token
assert any(r['status'] == 302 for r in api), api
PY

rm -rf dl
run "$QB" pull org/gated -o dl
expect_rc 1 "no token"
expect_err "quantbench: error: '$HF_URL/api/models/org/gated/tree/main?recursive=true': HTTP 401: access denied (a gated or private repository needs a token in HF_TOKEN)"
HF_TOKEN=wrong run "$QB" pull org/gated -o dl
expect_rc 1 "a wrong token"
expect_err "quantbench: error: '$HF_URL/api/models/org/gated/tree/main?recursive=true': HTTP 401: access denied (HF_TOKEN was refused)"
[ ! -e dl/g-Q4_K_M.gguf ] || fail "a file placed without access"
HF_TOKEN=$'s3cret\r\nX-Evil: 1' run "$QB" pull org/gated -o dl
expect_rc 2 "a token with a line break"
expect_err "quantbench: error: HF_TOKEN holds a control character"

# ---- the CDN on the same host name (127.0.0.1) but another port is another origin too
kill "$HF_PID"
start_hf_fake hf2 "$T/root" --require-token s3cret --cdn-host 127.0.0.1
HF_TOKEN=s3cret run "$QB" pull org/gated -o dl2
expect_rc 0 "same host, another port"
! grep '"server": "cdn"' hf2/hf.log | grep -q Bearer || fail "the token went to the CDN's port"
grep -q '"server": "cdn"' hf2/hf.log || fail "no CDN request"
echo "ok"
