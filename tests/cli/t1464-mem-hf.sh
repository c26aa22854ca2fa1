#!/usr/bin/env bash
# mem OWNER/NAME[:QUANT] against the fake Hub (tests/hf_fake_server.py: the tree listing, a
# resolve that redirects to a CDN host, Range; a request log with the bytes sent): the
# quant picked as pull picks it, only headers read (under 1% of the files), a split model's
# parts read and merged (the same plan as the unsplit file, and as its local parts), and
# errors (no such quant, no such repository) one line each.
. "$(dirname "$0")/lib.sh"
big="$MODELS/mem-http-big.gguf"
[ -f "$big" ] || "$QB" synth -o "$big" --layers 2 --embd 1536 --heads 12 --kv-heads 4 --ff 4096 \
    --ctx 8192 --seed 21 >&2 || fail "synth big"
R=$T/hub/acme/big-GGUF
mkdir -p "$R"
ln -s "$big" "$R/big-Q8_0.gguf"
python3 "$QB_SRC/tests/gguf_split.py" "$big" "$R/big-F16" 3 || fail "split"
start_hf_fake hf "$T/hub"
trap 'kill "$HF_PID" 2>/dev/null' EXIT
cdn_bytes() { python3 -c "import json,sys; print(sum(json.loads(l)['bytes'] for l in open(sys.argv[1]) if json.loads(l)['server'] == 'cdn'))" hf/hf.log; }

run "$QB" mem -m "$big" --gpus 1 --no-dry-run
expect_rc 0 "local"
sed "s|^## .*|## M|" "$T/out" >local.md

# a single file by its quant
: >hf/hf.log
run "$QB" mem -m acme/big-GGUF:Q8_0 --gpus 1 --no-dry-run
expect_rc 0 "Q8_0"
sed "s|^## .*|## M|" "$T/out" | cmp -s local.md - || { diff local.md <(sed "s|^## .*|## M|" "$T/out"); fail "Q8_0 plan"; }
grep -q '"path": "/blob/acme/big-GGUF/big-Q8_0.gguf", "range": "bytes=0-1048575"' hf/hf.log ||
    fail "no Range request to the CDN: $(cat hf/hf.log)"
n=$(cdn_bytes)
size=$(stat -L -c %s "$big")
[ $((n * 100)) -lt "$size" ] || fail "read $n of $size bytes"

# a split model: every part's header, merged: the unsplit file's plan
: >hf/hf.log
run "$QB" mem -m acme/big-GGUF:F16 --gpus 1 --no-dry-run
expect_rc 0 "split"
sed "s|^## .*|## M|" "$T/out" | cmp -s local.md - || { diff local.md <(sed "s|^## .*|## M|" "$T/out"); fail "split plan"; }
for k in 1 2 3; do
    grep -q "\"path\": \"/blob/acme/big-GGUF/big-F16-0000$k-of-00003.gguf\"" hf/hf.log ||
        fail "part $k not read"
done
n=$(cdn_bytes)
[ $((n * 100)) -lt "$size" ] || fail "read $n bytes of a $size-byte split model"
# the same split model on disk, by its first part
run "$QB" mem -m "$R/big-F16-00001-of-00003.gguf" --gpus 1 --no-dry-run
expect_rc 0 "local split"
sed "s|^## .*|## M|" "$T/out" | cmp -s local.md - || fail "local split plan"
# a part missing: one line, exit 3
mkdir -p lone && cp "$R/big-F16-00001-of-00003.gguf" lone/
run "$QB" mem -m lone/big-F16-00001-of-00003.gguf --no-dry-run
expect_rc 3 "a part missing"
expect_err_has "lone/big-F16-00002-of-00003.gguf"

# the dry run is n/a with the reason; --measure refused
run "$QB" mem -m acme/big-GGUF:Q8_0
expect_rc 0 "dry run asked"
expect_out_has "dry run: n/a, the model's tensor data is not on this machine (not downloaded, only its header read)"
run "$QB" mem -m acme/big-GGUF:Q8_0 --measure
expect_rc 2 "--measure"

run "$QB" mem -m acme/big-GGUF:Q5_K
expect_rc 3 "no such quant"
expect_err "quantbench: error: 'acme/big-GGUF': no GGUF file matches the quant 'Q5_K'; quants available: F16, Q8_0"
run "$QB" mem -m acme/none-GGUF
expect_rc 3 "no such repository"
expect_err "quantbench: error: 'acme/none-GGUF': no such repository or revision 'main' (HTTP 404)"
exit 0
