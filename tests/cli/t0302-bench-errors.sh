# nonsense flag values: a one-line usage error (exit 2) before anything runs, for every flag
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
chk "unknown flag '--frob'" -m "$m" --frob 1
chk "-p needs a value" -m "$m" -p
chk "unknown flag '--frob'" -m "$m" --frob
chk "invalid value 'x' for -t (expected an integer in 1..4096)" -m "$m" -t x
chk "invalid value '0' for -t (expected an integer in 1..4096)" -m "$m" -t 0
chk "range '9-3' for -t expands to nothing" -m "$m" -t 9-3
chk "invalid range '1-8*1' for -t (forms: a-b, a-b+step, a-b*mult; values in 1..4096)" -m "$m" -t '1-8*1'
chk "range '1-2000000+1' for -p expands to more than 100000 values" -m "$m" -p 1-2000000+1
chk "empty item in '1,,2' for -t" -m "$m" -t 1,,2
chk "invalid value '-5' for -p (expected an integer in 0..16777216)" -m "$m" -p -5
chk "invalid value '-1' for -n (expected an integer in 0..16777216)" -m "$m" -n -1
chk "invalid value '-1' for -d (expected an integer in 0..16777216)" -m "$m" -d -1
chk "nothing to run: -p and -n are all 0 and there is no -pg" -m "$m" -p 0 -n 0
chk "invalid value '16' for -pg (expected PP,TG, both above 0)" -m "$m" -pg 16
chk "invalid value '16,0' for -pg (expected PP,TG, both above 0)" -m "$m" -pg 16,0
chk "invalid value '0' for -r (expected an integer in 1..100000 or auto)" -m "$m" -r 0
chk "invalid value 'often' for -r (expected an integer in 1..100000 or auto)" -m "$m" -r often
chk "invalid value '0' for --ci-target (percent, above 0)" -m "$m" -r auto --ci-target 0
chk "invalid value '1' for --min-reps (expected 2..100000)" -m "$m" -r auto --min-reps 1
chk "invalid value 'x' for --max-reps (expected 2..100000)" -m "$m" -r auto --max-reps x
chk "--min-reps 9 exceeds --max-reps 4" -m "$m" -r auto --min-reps 9 --max-reps 4
chk "invalid value '-3' for --max-time (seconds, above 0)" -m "$m" -r auto --max-time -3
chk "invalid value 'zz' for -C (expected a hex CPU mask like 0xff)" -m "$m" -C zz
chk "invalid value '2' for --cpu-strict (expected an integer in 0..1)" -m "$m" --cpu-strict 2
chk "invalid value '101' for --poll (expected an integer in 0..100)" -m "$m" --poll 101
chk "invalid value '7' for --prio (expected -1..3)" -m "$m" --prio 7
chk "invalid value 'spread' for --numa" -m "$m" --numa spread
chk "invalid value '-2' for -ngl (expected an integer in -1..100000)" -m "$m" -ngl -2
chk "-ngl 50 is more than the 2 layers (+ output) of '$m' (99 = all)" -m "$m" -ngl 50
chk "invalid value '-1' for -ncmoe (expected an integer in 0..100000)" -m "$m" -ncmoe -1
chk "invalid value 'diagonal' for -sm" -m "$m" -sm diagonal
chk "invalid value '16' for -mg (expected an integer in 0..15)" -m "$m" -mg 16
chk "invalid value '1/x' for -ts (expected proportions like 3/1, at most 16)" -m "$m" -ts 1/x
chk "invalid value 'exps' for -ot (expected PATTERN=BUFFER_TYPE, ';'-separated)" -m "$m" -ot exps
chk "invalid value '0' for -b (expected an integer in 1..16777216)" -m "$m" -b 0
chk "invalid value '0' for -ub (expected an integer in 1..16777216)" -m "$m" -ub 0
chk "unknown KV cache type 'q7_0' for -ctk (f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1)" -m "$m" -ctk q7_0
chk "unknown KV cache type 'int8' for -ctv (f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1)" -m "$m" -ctv int8
chk "invalid value 'maybe' for -fa" -m "$m" -fa maybe
chk "invalid value '2' for -nkvo (expected an integer in 0..1)" -m "$m" -nkvo 2
chk "invalid value 'fast' for -lm" -m "$m" -lm fast
chk "invalid value '2' for -mmp" -m "$m" -mmp 2
chk "invalid value '-1' for --delay (seconds, 0 or more)" -m "$m" --delay -1
chk "invalid value 'abc' for --seed" -m "$m" --seed abc
chk "invalid value 'abc' for --timeout (seconds, 0 = none)" -m "$m" --timeout abc
chk "invalid output format 'xml' (md, csv, json, jsonl, sql)" -m "$m" -o xml
chk "invalid output format 'yaml' for -oe (md, csv, json, jsonl, sql, none)" -m "$m" -oe yaml
