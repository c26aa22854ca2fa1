# quantize never writes over one of its inputs: a rung named as the source (the issue's
# case: m-F16.gguf in -o with --types F16), a rung that is the source through a link, the
# --imatrix file, the -f text (and quality --save-base's); each is a usage error before any
# work, and every input is left byte for byte as it was
. "$(dirname "$0")/lib.sh"
"$QB" synth -o m.gguf --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 2048 \
    --type F16 --seed 41 >&2 || fail "synth"
mkdir D
cp m.gguf D/m-F16.gguf
sum() { sha256sum "$@" | cut -c1-64; }
before=$(sum D/m-F16.gguf)
hint="try 'quantbench quantize --help'"

run "$QB" quantize -m D/m-F16.gguf --types F16,BF16 -o D --no-db
expect_rc 2 "rung = source"
expect_err "quantbench quantize: the F16 rung 'D/m-F16.gguf' would overwrite the model (-m) 'D/m-F16.gguf' (choose another -o); $hint"
[ "$(sum D/m-F16.gguf)" = "$before" ] || fail "the source changed"
[ "$(ls D)" = "m-F16.gguf" ] || fail "work was done: $(ls D)"
# the same directory by another name, and the source given through a symbolic link
run "$QB" quantize -m D/m-F16.gguf --types Q8_0,F16 -o ./D/../D/ --no-db
expect_rc 2 "other spelling"
expect_err "quantbench quantize: the F16 rung './D/../D//m-F16.gguf' would overwrite the model (-m) 'D/m-F16.gguf' (choose another -o); $hint"
mkdir L
ln -s ../D/m-F16.gguf L/m-BF16.gguf
run "$QB" quantize -m D/m-F16.gguf --types Q8_0,BF16 -o L --no-db
expect_rc 2 "through a link"
expect_err "quantbench quantize: the BF16 rung 'L/m-BF16.gguf' would overwrite the model (-m) 'D/m-F16.gguf' (choose another -o); $hint"
[ "$(ls D)" = "m-F16.gguf" ] && [ "$(ls L)" = "m-BF16.gguf" ] || fail "work was done: $(ls D L)"
# a rung file that is a hard link of the source
mkdir H
ln D/m-F16.gguf H/m-Q8_0.gguf
run "$QB" quantize -m D/m-F16.gguf --types Q8_0 -o H --no-db
expect_rc 2 "hard link"
expect_err "quantbench quantize: the Q8_0 rung 'H/m-Q8_0.gguf' would overwrite the model (-m) 'D/m-F16.gguf' (choose another -o); $hint"
# the importance matrix given is where a rung goes
"$QB" quantize -m m.gguf --types Q8_0 -o imx --imatrix-from "$(dirname "$0")/../../README.md" \
    -c 128 --chunks 2 --no-db >/dev/null 2>&1 || fail "imatrix"
cp imx/m.imatrix.gguf E-imx.gguf
mkdir E
cp E-imx.gguf E/m-Q4_0.gguf
imx_before=$(sum E/m-Q4_0.gguf)
run "$QB" quantize -m m.gguf --types Q4_0 -o E --imatrix E/m-Q4_0.gguf --no-db
expect_rc 2 "imatrix"
expect_err "quantbench quantize: the Q4_0 rung 'E/m-Q4_0.gguf' would overwrite the importance matrix (--imatrix) 'E/m-Q4_0.gguf' (choose another -o); $hint"
[ "$(sum E/m-Q4_0.gguf)" = "$imx_before" ] || fail "the importance matrix changed"
# the text of --quality is where the base log-probabilities go
mkdir Q
head -c 20000 /dev/urandom | base64 >Q/m.base.bin
text_before=$(sum Q/m.base.bin)
run "$QB" quantize -m m.gguf --types Q8_0 -o Q --quality -f Q/m.base.bin --no-db
expect_rc 2 "text"
expect_err "quantbench quantize: the base log-probabilities 'Q/m.base.bin' would overwrite the text (-f) 'Q/m.base.bin' (choose another -o); $hint"
[ "$(sum Q/m.base.bin)" = "$text_before" ] || fail "the text changed"
# and a rung's sidecar
cp Q/m.base.bin Q/m-Q8_0.gguf.source
run "$QB" quantize -m m.gguf --types Q8_0 -o Q --imatrix-from Q/m-Q8_0.gguf.source --no-db
expect_rc 2 "sidecar"
expect_err "quantbench quantize: the Q8_0 rung 'Q/m-Q8_0.gguf.source' would overwrite the text (--imatrix-from) 'Q/m-Q8_0.gguf.source' (choose another -o); $hint"
# quality --save-base likewise (the base file and its .model sidecar)
run "$QB" quality -m m.gguf -f Q/m.base.bin --save-base Q/m.base.bin --no-db
expect_rc 2 "quality: text"
expect_err "quantbench quality: --save-base 'Q/m.base.bin' would overwrite the text (-f) 'Q/m.base.bin'; try 'quantbench quality --help'"
[ "$(sum Q/m.base.bin)" = "$text_before" ] || fail "quality: the text changed"
cp m.gguf b.bin.model
run "$QB" quality -m b.bin.model -f Q/m.base.bin --save-base b.bin --no-db
expect_rc 2 "quality: sidecar"
expect_err "quantbench quality: --save-base 'b.bin' would overwrite the model (-m) 'b.bin.model'; try 'quantbench quality --help'"
# nothing in the way: it runs
run "$QB" quantize -m D/m-F16.gguf --types Q8_0 -o D --no-db
expect_rc 0 "fine"
[ "$(sum D/m-F16.gguf)" = "$before" ] || fail "the source changed"
