# nonsense flag values: a one-line usage error before anything runs
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
chk() { # expected-message args...
    local want=$1; shift
    run "$QB" bench "$@"
    expect_rc 2 "$*"
    expect_err "quantbench bench: $want; try 'quantbench bench --help'"
    [ ! -s "$T/out" ] || fail "output written for: $*"
}
chk "missing -m MODEL" -p 8
chk "invalid value 'x' for -t (expected an integer in 1..4096)" -m "$m" -t x
chk "invalid value '0' for -t (expected an integer in 1..4096)" -m "$m" -t 0
chk "invalid value '-5' for -p (expected an integer in 0..16777216)" -m "$m" -p -5
chk "range '9-3' for -t expands to nothing" -m "$m" -t 9-3
chk "invalid value '0' for -r (expected an integer in 1..100000)" -m "$m" -r 0
chk "unknown KV cache type 'q7_0' for -ctk (f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1)" -m "$m" -ctk q7_0
chk "invalid value 'maybe' for -fa" -m "$m" -fa maybe
chk "invalid output format 'xml' (md, json, jsonl)" -m "$m" -o xml
chk "unknown flag '--frob'" -m "$m" --frob 1
chk "nothing to run: -p and -n are all 0 and there is no -pg" -m "$m" -p 0 -n 0
chk "invalid value '16' for -pg (expected PP,TG, both above 0)" -m "$m" -pg 16
chk "-ngl 99 is more than the 2 layers (+ output) of '$m'" -m "$m" -ngl 99
chk "invalid value 'abc' for --timeout (seconds, 0 = none)" -m "$m" --timeout abc
