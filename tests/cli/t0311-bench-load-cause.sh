# a model llama.cpp cannot load fails with llama.cpp's own cause (the error it logged, not
# its closing "failed to load model"), in the message and in the row's reason: an unknown
# architecture, inconsistent hyperparameters; bench and sweep alike
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sig.sh"
m=$(model_dense)
# general.architecture "llama" -> "xyzzy" (same length: offsets stay), and
# llama.embedding_length 256 -> 128 (n_rot no longer fits)
python3 - "$m" <<'PY' || fail "patch"
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
a = bytearray(d)
i = a.find(b'general.architecture') + len(b'general.architecture')
assert a[i + 12:i + 17] == b'llama', a[i:i + 20]  # u32 type, u64 length, then the string
a[i + 12:i + 17] = b'xyzzy'
open('xyz.gguf', 'wb').write(a)
k = d.find(b'llama.embedding_length') + len(b'llama.embedding_length')
assert struct.unpack_from('<II', d, k) == (4, 256)
struct.pack_into('<I', d, k + 4, 128)
open('shape.gguf', 'wb').write(d)
PY
cause="llama.cpp failed to load model 'xyz.gguf': unknown model architecture: 'xyzzy'"
run "$QB" bench -m xyz.gguf -p 16 -n 4 -r 1 -t 1 -o json --db l.db
expect_rc 1 "bench"
expect_err "quantbench: error: 'xyz.gguf' pp16 t=1: load_failed: $cause
quantbench: error: 'xyz.gguf' tg4 t=1: load_failed: $cause"
python3 - "$T/out" "$cause" <<'PY' || fail "rows"
import json, sys
got = [(r['status'], r['error']) for r in json.load(open(sys.argv[1]))]
assert got == [('load_failed', sys.argv[2])] * 2, got
PY
[ "$(sql l.db "SELECT count(*) FROM results WHERE status = 'load_failed' AND reason = \"$cause\"")" = 2 ] ||
    fail "stored: $(sql l.db "SELECT reason FROM results")"

run "$QB" sweep -m xyz.gguf -c 256 -ub 64 -t 1 -o jsonl --no-db
expect_rc 1 "sweep"
expect_err "quantbench: error: sweep of 'xyz.gguf': load_failed: $cause"

run "$QB" bench -m shape.gguf -p 16 -n 0 -r 1 -t 1 --no-db
expect_rc 1 "hyperparameters"
expect_err "quantbench: error: 'shape.gguf' pp16 t=1: load_failed: llama.cpp failed to load model 'shape.gguf': error loading model hyperparameters: invalid n_rot: 64, expected 32"
