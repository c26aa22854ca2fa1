# Shared helpers for tests/cli/*.sh; sourced. Each test runs in its own temp dir.
set -u
# the source tree (for its test helpers), found before the cd below
QB_SRC=$(cd "$(dirname "$0")/../.." && pwd)
# never run in the caller's directory (a repository root) when the temp dir cannot be made
T=$(mktemp -d "${QB_TEST_TMP:-/tmp}/$(basename "$0" .sh).XXXX") && [ -n "$T" ] && cd "$T" ||
    { echo "cannot make a temporary directory under ${QB_TEST_TMP:-/tmp}" >&2; exit 1; }
MODELS=${QB_TEST_TMP:-/tmp}/models
mkdir -p "$MODELS"

fail() { echo "FAIL: $*" >&2; exit 1; }

# run CMD...: captures stdout in $T/out, stderr in $T/err, exit code in $rc
run() {
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
}

expect_rc() { [ "$rc" -eq "$1" ] || { cat "$T/err" >&2; fail "expected exit $1, got $rc: ${2:-}"; }; }

# stderr without the end-of-run noise warning, which depends on how busy the machine is
# (t0331 tests it); exact-message assertions use this
err_text() { grep -v '^quantbench: warning: [0-9]* of [0-9]* rows noisy ' "$@"; } # FILE or stdin

# the exact, single-line stderr
expect_err() {
    local got
    got=$(err_text "$T/err")
    [ "$got" = "$1" ] || fail "stderr mismatch:
  want: $1
  got:  $got"
}

expect_out_has() { grep -qF -- "$1" "$T/out" || { cat "$T/out" >&2; fail "stdout lacks '$1'"; }; }
expect_err_has() { grep -qF -- "$1" "$T/err" || { cat "$T/err" >&2; fail "stderr lacks '$1'"; }; }

# small synthesized models shared by the tests of one run (synth is deterministic)
model_dense() {
    local f="$MODELS/dense.gguf"
    [ -f "$f" ] || "$QB" synth -o "$f" --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 \
        --ctx 2048 --seed 7 >&2 || fail "synth dense"
    echo "$f"
}

model_moe() {
    local f="$MODELS/moe.gguf"
    [ -f "$f" ] || "$QB" synth -o "$f" --layers 2 --embd 256 --heads 4 --kv-heads 4 --ff 256 \
        --experts 4 --experts-used 2 --ctx 2048 --seed 8 >&2 || fail "synth moe"
    echo "$f"
}

need_llama_tool() {
    [ -n "${LLAMA_BINDIR:-}" ] && [ -x "$LLAMA_BINDIR/$1" ] || { echo "no $1 in LLAMA_BINDIR"; exit 77; }
}

json_get() { # FILE PYTHON-EXPR (j is the parsed document)
    python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

# ref_run OUT ERR CHECK CMD...: run a llama.cpp tool with stdout into OUT and stderr into ERR
# (ERR = OUT: both into OUT), again (up to 5 times) while it exits 0 but CHECK (a shell test
# on the files) fails. llama.cpp's common logger prints from a thread and its singleton is
# never flushed at exit (common/log.cpp: "this design may cause logs to be lost"), so on a
# busy machine the tool's last lines (llama-perplexity's "Final estimate", batched-bench's
# last rows) go missing now and then: the reference's output lost, not a difference.
ref_run() {
    local out=$1 err=$2 check=$3 i
    shift 3
    for i in 1 2 3 4 5; do
        if [ "$err" = "$out" ]; then "$@" >"$out" 2>&1; else "$@" >"$out" 2>"$err"; fi || return 1
        eval "$check" && return 0
        echo "ref_run: $1 lost its last lines (try $i), running it again" >&2
    done
    return 1
}

# gguf_set_name FILE PYBYTES: rewrite FILE's general.name in place with the bytes of the
# python literal PYBYTES, which must be as long as the name it replaces (offsets stay)
gguf_set_name() {
    python3 - "$1" "$2" <<'PY'
import ast, struct, sys
p, new = sys.argv[1], ast.literal_eval(sys.argv[2])
d = bytearray(open(p, 'rb').read())
key = b'general.name'
i = d.index(struct.pack('<Q', len(key)) + key) + 8 + len(key)
assert struct.unpack_from('<I', d, i)[0] == 8  # a string
n = struct.unpack_from('<Q', d, i + 4)[0]
assert n == len(new), n
d[i + 12:i + 12 + n] = new
open(p, 'wb').write(d)
PY
}

# the dashboard's browser tests: Debian's chromium driven by playwright-core (web/node_modules,
# from scripts/setup.sh); skip (77) when either is missing
need_browser() {
    command -v chromium >/dev/null 2>&1 || { echo "chromium not installed"; exit 77; }
    command -v node >/dev/null 2>&1 || { echo "node not installed"; exit 77; }
    [ -d "$(dirname "$0")/../../web/node_modules/playwright-core" ] ||
        { echo "web/node_modules/playwright-core missing (scripts/setup.sh runs npm ci)"; exit 77; }
}
# where screenshots are kept: $QB_ARTIFACTS, else build/artifacts/dash of the repository
artifacts_dir() {
    local d=${QB_ARTIFACTS:-$(cd "$(dirname "$0")/../.." && pwd)/build/artifacts/dash}
    mkdir -p "$d" && echo "$d"
}
# dash_browser MODE URL OUTDIR [ROUTE...]: tests/cli/dash_browser.js, its JSON into $T/browser.json
dash_browser() {
    timeout "${QB_BROWSER_TIMEOUT:-300}" node "$(dirname "$0")/dash_browser.js" "$@" >"$T/browser.json" \
        2>"$T/browser.err" || { tail -20 "$T/browser.err" >&2; fail "the browser ($1 $2)"; }
}

# a TCP port free on 127.0.0.1 now
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_up URL PID: until URL answers 200, while PID lives (60 s at most)
wait_up() {
    local i
    for i in $(seq 1 240); do
        kill -0 "$2" 2>/dev/null || return 1
        curl -sf -o /dev/null "$1" && return 0
        sleep 0.25
    done
    return 1
}

# start_llama_server LOG MODEL FLAGS...: llama-server on a free port of 127.0.0.1, in the
# background, up and answering /health; $SRV_PID, $SRV_URL (fails the test otherwise). The
# caller's EXIT trap kills it.
start_llama_server() {
    local log=$1 m=$2 port
    shift 2
    port=$(free_port)
    "$LLAMA_BINDIR/llama-server" -m "$m" --host 127.0.0.1 --port "$port" "$@" >"$log" 2>&1 &
    SRV_PID=$!
    SRV_URL=http://127.0.0.1:$port
    wait_up "$SRV_URL/health" "$SRV_PID" || { tail -20 "$log"; fail "llama-server did not start"; }
}

# start_load_fake DIR ARGS...: tests/load_fake_server.py (the load tests' fake server) in
# the background with its port file and log in DIR; $FAKE_PID, $FAKE_URL
start_load_fake() {
    local d=$1
    shift
    mkdir -p "$d"
    rm -f "$d/port"
    python3 "$QB_SRC/tests/load_fake_server.py" --port-file "$d/port" --log "$d/fake.log" "$@" &
    FAKE_PID=$!
    local i
    for i in $(seq 1 100); do [ -s "$d/port" ] && break; sleep 0.1; done
    [ -s "$d/port" ] || fail "the fake server did not start"
    FAKE_URL=http://127.0.0.1:$(cat "$d/port")
}

# start_hf_fake DIR ROOT ARGS...: tests/hf_fake_server.py (a fake Hugging Face Hub serving the
# repositories ROOT/OWNER/NAME) in the background, its port file and request log (JSON lines)
# in DIR; $HF_PID, $HF_URL (the Hub, also exported as HF_ENDPOINT), $HF_CDN_PORT
start_hf_fake() {
    local d=$1 root=$2 i
    shift 2
    mkdir -p "$d"
    rm -f "$d/port"
    python3 "$QB_SRC/tests/hf_fake_server.py" --root "$root" --port-file "$d/port" \
        --log "$d/hf.log" "$@" &
    HF_PID=$!
    for i in $(seq 1 100); do [ -s "$d/port" ] && break; sleep 0.1; done
    [ -s "$d/port" ] || fail "the fake Hub did not start"
    read -r i HF_CDN_PORT <"$d/port"
    HF_URL=http://127.0.0.1:$i
    export HF_ENDPOINT=$HF_URL
}
