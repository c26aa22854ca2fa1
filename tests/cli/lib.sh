# Shared helpers for tests/cli/*.sh; sourced. Each test runs in its own temp dir.
set -u
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

# the exact, single-line stderr
expect_err() {
    local got
    got=$(cat "$T/err")
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
