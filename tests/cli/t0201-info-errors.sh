# bad model files: a one-line error naming the file and the problem, exit 3, no crash
. "$(dirname "$0")/lib.sh"
run "$QB" info missing.gguf
expect_rc 3
expect_err "quantbench: error: cannot open 'missing.gguf': No such file or directory"
: >empty.gguf
run "$QB" info empty.gguf
expect_rc 3
expect_err "quantbench: error: 'empty.gguf': empty file, not a GGUF model"
echo "this is just text, not a model" >text.gguf
run "$QB" info text.gguf
expect_rc 3
expect_err "quantbench: error: 'text.gguf': not a GGUF file (bad magic)"
mkdir dir.gguf
run "$QB" info dir.gguf
expect_rc 3
expect_err "quantbench: error: 'dir.gguf': not a regular file"
# truncated: a real model cut short
head -c 2000000 "$(model_dense)" >trunc.gguf
run "$QB" info trunc.gguf
expect_rc 3
grep -qE "^quantbench: error: 'trunc.gguf': truncated GGUF: tensor '[^']+' data ends at byte [0-9]+, the file has 2000000$" "$T/err" || { cat "$T/err"; fail "truncated message"; }
head -c 100 "$(model_dense)" >trunc2.gguf
run "$QB" info trunc2.gguf
expect_rc 3
expect_err "quantbench: error: 'trunc2.gguf': truncated or corrupt GGUF: header claims 23 key/value pairs, more than the 76 bytes that follow can hold"
# a header that claims 2^40 tensors
printf 'GGUF\x03\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' >huge.gguf
head -c 1000 /dev/zero >>huge.gguf
run "$QB" info huge.gguf
expect_rc 3
expect_err "quantbench: error: 'huge.gguf': truncated or corrupt GGUF: header claims 1099511627776 tensors, more than the 1000 bytes that follow can hold"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "more than one line"
# bench refuses the same files before running anything
for f in missing.gguf empty.gguf text.gguf trunc.gguf huge.gguf; do
    run "$QB" bench -m "$f" -p 8 -n 0 -r 1
    expect_rc 3 "bench $f"
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "bench $f: more than one line"
    [ ! -s "$T/out" ] || fail "bench $f wrote results"
done
