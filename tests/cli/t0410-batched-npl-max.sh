# -npl past llama.cpp's 256 parallel sequences (LLAMA_MAX_SEQ) is a usage error up front;
# the starting commit took up to 4096 and every such row failed when llama.cpp refused the
# context ("n_seq_max must be <= 256")
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
chk() { local want=$1; shift; run "$QB" batched "$@"; expect_rc 2 "$*"
    expect_err "quantbench batched: $want; try 'quantbench batched --help'"
    [ ! -s "$T/out" ] || fail "output written for: $*"; }
chk "invalid value '257' for -npl (expected an integer in 1..256)" -m "$m" -npp 8 -ntg 2 -npl 257
chk "invalid value '4096' for -npl (expected an integer in 1..256)" -m "$m" -npp 8 -ntg 2 -npl 1,2,4096
chk "invalid range '1-300' for -npl (forms: a-b, a-b+step, a-b*mult; values in 1..256)" -m "$m" -npl 1-300
chk "invalid range '1-512*2' for -npl (forms: a-b, a-b+step, a-b*mult; values in 1..256)" -m "$m" -npl '1-512*2'
[ ! -e quantbench.db ] || fail "a run was stored"
# 256 itself is llama.cpp's limit, not past it: the flags are accepted (the model is what fails)
run "$QB" batched -m missing.gguf -npp 8 -ntg 2 -npl 1-256*2
expect_rc 3 "-npl 256"
expect_err "quantbench: error: cannot open 'missing.gguf': No such file or directory"
grep -q 'at most 256' <("$QB" batched --help) || fail "help names the limit"
echo ok
