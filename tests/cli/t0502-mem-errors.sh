# mem and ctxmax: bad input gets one exact line and a documented exit code
. "$(dirname "$0")/lib.sh"
m="$MODELS/ctxmax.gguf"
[ -f "$m" ] || "$QB" synth -o "$m" --layers 4 --embd 256 --heads 4 --kv-heads 4 --ff 768 \
    --ctx 8192 --type Q8_0 --seed 5 >&2 || fail "synth"
chk() { # RC MESSAGE ARGS...
    local want_rc=$1 msg=$2
    shift 2
    run "$QB" "$@"
    expect_rc "$want_rc" "$*"
    expect_err "$msg"
}
chk 2 "quantbench mem: tensor override 'exps=NPU0': unknown buffer type 'NPU0' (CPU is the only one without a GPU); try 'quantbench mem --help'" \
    mem -m "$m" -ot exps=NPU0 --gpus 0
chk 2 "quantbench mem: tensor override 'exps=CUDA3': unknown buffer type 'CUDA3' (CPU or CUDA0..); try 'quantbench mem --help'" \
    mem -m "$m" -ot exps=CUDA3 --gpus 1 --no-dry-run
chk 2 "quantbench mem: tensor override pattern 'blk\\.(' is not a valid regex; try 'quantbench mem --help'" \
    mem -m "$m" -ot 'blk\.(=CPU'
chk 0 "quantbench: warning: -ot pattern 'nomatch' matches no tensor of '$m'" \
    mem -m "$m" -ot nomatch=CPU --no-dry-run
chk 2 "quantbench ctxmax: --budget 1.00 MiB is smaller than the weights of '$m' (20.06 MiB); try 'quantbench ctxmax --help'" \
    ctxmax -m "$m" --budget 1MiB
chk 2 "quantbench mem: invalid size '12XB' for --budget (expected e.g. 96GiB, 512MiB, 8G); try 'quantbench mem --help'" \
    mem -m "$m" --budget 12XB
chk 2 "quantbench ctxmax: invalid size '12XB' for --budget (expected e.g. 96GiB, 512MiB, 8G); try 'quantbench ctxmax --help'" \
    ctxmax -m "$m" --budget 12XB
chk 2 "quantbench ctxmax: invalid value '0' for --step (expected an integer in 1..16777216); try 'quantbench ctxmax --help'" \
    ctxmax -m "$m" --step 0
chk 2 "quantbench ctxmax: --max 100 is below --step 256; try 'quantbench ctxmax --help'" \
    ctxmax -m "$m" --max 100
chk 2 "quantbench mem: invalid value '0' for -np (expected an integer in 1..4096); try 'quantbench mem --help'" \
    mem -m "$m" -np 0
chk 2 "quantbench ctxmax: a quantized V cache (q8_0) needs flash attention (-fa on or auto); try 'quantbench ctxmax --help'" \
    ctxmax -m "$m" -fa off -ctv q8_0
chk 2 "quantbench mem: missing -m MODEL; try 'quantbench mem --help'" mem -c 512
chk 3 "quantbench: error: cannot open 'nope.gguf': No such file or directory" mem -m nope.gguf
printf 'not a gguf' >text.gguf
run "$QB" ctxmax -m text.gguf
expect_rc 3
expect_err_has "'text.gguf'"
