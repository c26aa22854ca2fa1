# --version names quantbench, the llama.cpp version/commit/build and the backends
. "$(dirname "$0")/lib.sh"
run "$QB" --version
expect_rc 0
expect_out_has "quantbench 0."
grep -qE '^llama\.cpp [^ ]+ \(commit [0-9a-f]{7,}, build [0-9]+\)$' "$T/out" || { cat "$T/out"; fail "llama.cpp line"; }
grep -qE '^backends: .+' "$T/out" || fail "backends line"
run "$QB" version extra
expect_rc 2
expect_err "quantbench version: unexpected argument 'extra'; try 'quantbench version --help'"
# our table of ggml types agrees with the linked ggml
run "$QB" __check-types
expect_rc 0
