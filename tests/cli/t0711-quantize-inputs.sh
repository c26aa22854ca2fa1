# quantize refuses, before any work: a source that is already quantized (exit 3: the
# quantizer takes F32, F16 or BF16 weights; llama-quantize refuses to requantize), an empty
# or repeated --types (exit 2), an -o it cannot write (exit 1, one line of ours, not the
# C++ stream's "basic_ios::clear: iostream error", which a failing quantizer maps to ours)
. "$(dirname "$0")/lib.sh"
shape=(--layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 2048 --seed 41)
"$QB" synth -o m-F16.gguf "${shape[@]}" --type F16 >&2 || fail "synth F16"
"$QB" synth -o q-Q8_0.gguf "${shape[@]}" --type Q8_0 >&2 || fail "synth Q8_0"
hint="try 'quantbench quantize --help'"

# an already quantized source
run "$QB" quantize -m q-Q8_0.gguf --types Q4_0 -o dst --no-db
expect_rc 3 "Q8_0 source"
expect_err "quantbench: error: 'q-Q8_0.gguf' is already quantized (Q8_0, tensor 'output.weight' is q8_0): quantize takes an F32, F16 or BF16 model, as llama-quantize does (it refuses to requantize)"
[ -e dst ] && fail "work was done for a quantized source"
# a rung of ours as the source of another ladder
run "$QB" quantize -m m-F16.gguf --types Q4_K_M -o lad --no-db
expect_rc 0 "ladder"
run "$QB" quantize -m lad/m-Q4_K_M.gguf --types Q3_K_S -o lad2 --no-db
expect_rc 3 "rung as source"
expect_err_has "'lad/m-Q4_K_M.gguf' is already quantized (Q4_K_M, tensor "
# F32 and BF16 sources are fine
"$QB" synth -o b-BF16.gguf "${shape[@]}" --type BF16 >&2 || fail "synth BF16"
run "$QB" quantize -m b-BF16.gguf --types Q8_0 -o lad3 --no-db
expect_rc 0 "BF16 source"

# --types that name nothing, or a type twice
for t in '' ',' ' ,'; do
    run "$QB" quantize -m m-F16.gguf --types "$t" -o dst --no-db
    [ "$t" = ' ,' ] && { expect_rc 2 "types ' ,'"; continue; }
    expect_rc 2 "types '$t'"
    expect_err "quantbench quantize: --types '$t' names no type (e.g. Q8_0,Q6_K,Q4_K_M); $hint"
done
run "$QB" quantize -m m-F16.gguf --types Q8_0,Q4_0,q8_0 -o dst --no-db
expect_rc 2 "types twice"
expect_err "quantbench quantize: type 'q8_0' is listed twice in --types; $hint"
[ -e dst ] && fail "work was done for bad --types"

# a read-only -o (root writes anyway unless it lacks CAP_DAC_OVERRIDE, so drop it)
as_user() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --bounding-set=-dac_override,-dac_read_search -- "$@"
    else
        "$@"
    fi
}
mkdir ro
chmod 555 ro
as_user "$QB" quantize -m m-F16.gguf --types Q8_0,Q4_0 -o ro --no-db >"$T/out" 2>"$T/err"
rc=$?
expect_rc 1 "read-only -o"
expect_err "quantbench: error: cannot write to 'ro': Permission denied"
[ -z "$(ls -A ro)" ] || fail "files in the read-only directory: $(ls -A ro)"
# an -o that is a file
touch afile
run "$QB" quantize -m m-F16.gguf --types Q8_0 -o afile --no-db
expect_rc 1 "-o a file"
expect_err "quantbench: error: cannot write to 'afile': Not a directory"
# the quantizer itself failing to write (here asked straight, through the worker protocol
# the ladder uses): our message, with the file and the reason
echo '{"op":"quantize","in":"m-F16.gguf","out":"ro/x.gguf","ftype":7,"threads":1}' |
    as_user "$QB" __worker 0 3<&0 4>answer.json >worker.out 2>&1
[ "$(json_get answer.json "j['ev'] + ': ' + j['msg']")" = "error: cannot write 'ro/x.gguf': Permission denied" ] ||
    fail "quantizer failure: $(cat answer.json)"
