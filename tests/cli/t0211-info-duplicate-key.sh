# a GGUF with a key (or a tensor name) twice is refused, as llama.cpp's own reader refuses
# it: exit 3, one line naming the key; the starting commit read it and went on (the first
# value won in our reader, while llama.cpp then refused to load the model)
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
rename() { # in out old new: a length-prefixed name rewritten in place (same length)
    python3 - "$@" <<'PY' || fail "patch $2"
import struct, sys
src, dst, old, new = sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4].encode()
assert len(old) == len(new)
d = bytearray(open(src, 'rb').read())
i = d.index(struct.pack('<Q', len(old)) + old)
d[i + 8:i + 8 + len(old)] = new
open(dst, 'wb').write(d)
PY
}
rename "$m" dupkey.gguf llama.block_count general.file_type
rename "$m" duptensor.gguf blk.1.attn_q.weight blk.0.attn_q.weight
for cmd in "info dupkey.gguf" "bench -m dupkey.gguf -p 8 -n 0 -r 1" "mem -m dupkey.gguf" \
    "sweep -m dupkey.gguf -c 256 -ub 64"; do
    run "$QB" $cmd
    expect_rc 3 "$cmd"
    expect_err "quantbench: error: 'dupkey.gguf': corrupt GGUF: duplicate key 'general.file_type'"
done
run "$QB" info duptensor.gguf
expect_rc 3 "duplicate tensor"
expect_err "quantbench: error: 'duptensor.gguf': corrupt GGUF: duplicate tensor name 'blk.0.attn_q.weight'"
run "$QB" bench -m duptensor.gguf -p 8 -n 0 -r 1
expect_rc 3 "bench duplicate tensor"
[ ! -e quantbench.db ] || fail "a run was stored"
# llama.cpp's reader says the same of both files
if [ -n "${LLAMA_BINDIR:-}" ] && [ -x "$LLAMA_BINDIR/llama-bench" ]; then
    "$LLAMA_BINDIR/llama-bench" -v -m dupkey.gguf -p 8 -n 0 -r 1 >lb.out 2>lb.err && fail "llama-bench ran dupkey.gguf"
    grep -q "duplicate key 'general.file_type'" lb.err || { cat lb.err; fail "llama-bench's reason"; }
    "$LLAMA_BINDIR/llama-bench" -v -m duptensor.gguf -p 8 -n 0 -r 1 >lb.out 2>lb.err && fail "llama-bench ran duptensor.gguf"
    grep -q "duplicate tensor name 'blk.0.attn_q.weight'" lb.err || { cat lb.err; fail "llama-bench's reason"; }
fi
echo ok
