#!/usr/bin/env bash
# mem on a header-only file (a model's first bytes, its tensor data absent): the same plan
# as the whole file; its dry run n/a with a note, --measure refused; a header cut short is
# still refused (exit 3), and the other commands stay strict about the missing data.
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
# the header's length: the data section's start, as the reader puts it
hdr_len=$(python3 - "$m" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
p = 24
n_t, n_kv = struct.unpack_from('<QQ', b, 8)
def skip_val(t):
    global p
    size = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    if t == 8:
        (l,) = struct.unpack_from('<Q', b, p); p += 8 + l
    elif t == 9:
        et, n = struct.unpack_from('<IQ', b, p); p += 12
        for _ in range(n):
            skip_val(et)
    else:
        p += size[t]
for _ in range(n_kv):
    (l,) = struct.unpack_from('<Q', b, p); p += 8 + l
    (t,) = struct.unpack_from('<I', b, p); p += 4
    skip_val(t)
for _ in range(n_t):
    (l,) = struct.unpack_from('<Q', b, p); p += 8 + l
    (nd,) = struct.unpack_from('<I', b, p); p += 4 + 8 * nd + 4 + 8
print(p)
PY
) || fail "header length"
head -c "$hdr_len" "$m" >hdr.gguf
cp "$m" full.gguf
for fmt in md json csv; do
    run "$QB" mem -m full.gguf --no-dry-run -o $fmt
    expect_rc 0 "full $fmt"
    cp "$T/out" full.$fmt
    run "$QB" mem -m hdr.gguf --no-dry-run -o $fmt
    expect_rc 0 "header-only $fmt"
    sed 's/hdr\.gguf/full.gguf/g' "$T/out" >hdr.$fmt
    cmp -s full.$fmt hdr.$fmt || { diff full.$fmt hdr.$fmt >&2; fail "header-only plan differs ($fmt)"; }
done
# with --budget too (the fit is solved from the header alone)
run "$QB" mem -m full.gguf --no-dry-run --budget 64MiB
cp "$T/out" full-b.md
run "$QB" mem -m hdr.gguf --no-dry-run --budget 64MiB
sed 's/hdr\.gguf/full.gguf/g' "$T/out" >hdr-b.md
cmp -s full-b.md hdr-b.md || { diff full-b.md hdr-b.md >&2; fail "header-only budget differs"; }

run "$QB" mem -m hdr.gguf
expect_rc 0 "header-only with the dry run asked"
expect_out_has "dry run: n/a, the model's tensor data is not on this machine (a header-only file, its tensor data absent); llama.cpp's dry run and --measure need the whole file"
run "$QB" mem -m hdr.gguf --measure
expect_rc 2 "--measure"
expect_err "quantbench mem: --measure loads the model on this machine, 'hdr.gguf' is a header-only file, its tensor data absent; try 'quantbench mem --help'"

# a header cut short: refused, exit 3, one line
head -c $((hdr_len - 10)) "$m" >cut.gguf
run "$QB" mem -m cut.gguf
expect_rc 3 "cut header"
expect_err_has "quantbench: error: 'cut.gguf': truncated GGUF: tensor type at offset "
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"
head -c 100 "$m" >cut2.gguf
run "$QB" mem -m cut2.gguf
expect_rc 3 "cut in the metadata"
expect_err_has "quantbench: error: 'cut2.gguf': "
# a missing relative path with a '/' is a missing file, not a Hugging Face repository
run "$QB" mem -m models/none.gguf
expect_rc 3 "missing file"
expect_err "quantbench: error: cannot open 'models/none.gguf': No such file or directory"
# the commands that load the model stay strict
run "$QB" bench -m hdr.gguf -p 8 -n 0 -r 1
expect_rc 3 "bench on a header-only file"
expect_err_has "quantbench: error: 'hdr.gguf': truncated GGUF: tensor '"
run "$QB" ctxmax -m hdr.gguf --budget 64MiB
expect_rc 3 "ctxmax on a header-only file"
exit 0
