#!/usr/bin/env bash
# mem URL: the plan from the GGUF header read with Range requests (tests/range_server.py
# counts the bytes it sends): under 1% of a 300 MB file, the same plan as the local file
# byte for byte apart from the name (md and json), through a redirect and from a server
# that ignores Range; a header longer than the first read (a 128k vocabulary) takes more
# requests; 404, no server and --measure get one line and their exit codes.
. "$(dirname "$0")/lib.sh"
big="$MODELS/mem-http-big.gguf"
[ -f "$big" ] || "$QB" synth -o "$big" --layers 2 --embd 1536 --heads 12 --kv-heads 4 --ff 4096 \
    --ctx 8192 --seed 21 >&2 || fail "synth big"
bpe="$MODELS/mem-http-bpe.gguf"
bpe_vocab="$(sed -n 's/^LLAMA_SRCDIR := //p' "$QB_SRC/build/llama.mk")/models/ggml-vocab-llama-bpe.gguf"
[ -f "$bpe_vocab" ] || fail "no $bpe_vocab (llama.cpp's models/, set up by scripts/setup.sh)"
[ -f "$bpe" ] || "$QB" synth -o "$bpe" --layers 2 --embd 64 --heads 4 --kv-heads 2 --ff 128 \
    --ctx 4096 --vocab "$bpe_vocab" --seed 22 >&2 || fail "synth bpe"

mkdir -p srv && ln -sf "$big" srv/big.gguf && ln -sf "$bpe" srv/bpe.gguf
start_range() { # NAME ARGS...: the server; $URL_<NAME> its base, its log srv/NAME.log
    local n=$1
    shift
    rm -f "srv/$n.port"
    python3 "$QB_SRC/tests/range_server.py" --dir srv --port-file "srv/$n.port" \
        --log "srv/$n.log" "$@" &
    PIDS="${PIDS:-} $!"
    local i
    for i in $(seq 1 100); do [ -s "srv/$n.port" ] && break; sleep 0.1; done
    [ -s "srv/$n.port" ] || fail "range server $n did not start"
    eval "URL_$n=http://127.0.0.1:$(cat "srv/$n.port")"
}
trap 'for p in ${PIDS:-}; do kill "$p" 2>/dev/null; done' EXIT
start_range plain
start_range norange --ignore-range

sent() { awk '{s += $4} END {print s + 0}' "$1"; }
same_plan() { # LOCAL-OUT URL-OUT URL WHAT: equal once the URL is the file's name
    sed "s|$3|$4|g" "$2" >url.norm
    cmp -s "$1" url.norm || { diff "$1" url.norm >&2; fail "plan over HTTP differs: $3"; }
}

for fmt in md json; do
    run "$QB" mem -m "$big" --no-dry-run -o $fmt
    expect_rc 0 "local $fmt"
    cp "$T/out" local.$fmt
    : >srv/plain.log
    run "$QB" mem -m "$URL_plain/big.gguf" --no-dry-run -o $fmt
    expect_rc 0 "url $fmt"
    same_plan local.$fmt "$T/out" "$URL_plain/big.gguf" "$big"
    size=$(stat -L -c %s "$big")
    n=$(sent srv/plain.log)
    [ "$n" -gt 0 ] && [ $((n * 100)) -lt "$size" ] ||
        fail "read $n bytes of $size over HTTP: not under 1%"
    grep -q ' 206 ' srv/plain.log || fail "no 206 answer: $(cat srv/plain.log)"
done
echo "mem over HTTP: $n of $size bytes read" >&2

# through a redirect, and from a server that ignores Range (a 200: the transfer is cut)
run "$QB" mem -m "$URL_plain/redirect/big.gguf" --no-dry-run
expect_rc 0 "redirect"
same_plan local.md "$T/out" "$URL_plain/redirect/big.gguf" "$big"
grep -q '^/redirect/big.gguf - 302' srv/plain.log || fail "no redirect seen"
run "$QB" mem -m "$URL_norange/big.gguf" --no-dry-run
expect_rc 0 "server ignoring Range"
same_plan local.md "$T/out" "$URL_norange/big.gguf" "$big"
grep -q ' 200 ' srv/norange.log || fail "the no-Range server did not answer 200"

# a header of ~8 MB: more than the first 1 MiB, read in a few requests, not the file
run "$QB" mem -m "$bpe" --no-dry-run
expect_rc 0 "local bpe"
cp "$T/out" local-bpe.md
: >srv/plain.log
run "$QB" mem -m "$URL_plain/bpe.gguf" --no-dry-run
expect_rc 0 "url bpe"
same_plan local-bpe.md "$T/out" "$URL_plain/bpe.gguf" "$bpe"
reqs=$(grep -c ' 206 ' srv/plain.log)
[ "$reqs" -ge 2 ] && [ "$reqs" -le 4 ] || fail "the long header took $reqs requests"
n=$(sent srv/plain.log)
size=$(stat -L -c %s "$bpe")
[ $((n * 2)) -lt "$size" ] || fail "read $n of $size bytes for a header"

# the dry run is n/a for a URL (a note, exit 0); --measure cannot load it
run "$QB" mem -m "$URL_plain/big.gguf"
expect_rc 0 "url with the dry run asked"
expect_out_has "dry run: n/a, the model's tensor data is not on this machine (not downloaded, only its header read); llama.cpp's dry run and --measure need the whole file"
run "$QB" mem -m "$URL_plain/big.gguf" --measure
expect_rc 2 "url --measure"
expect_err "quantbench mem: --measure loads the model on this machine, '$URL_plain/big.gguf' is not downloaded, only its header read; try 'quantbench mem --help'"

# bad URLs: one line each
run "$QB" mem -m "$URL_plain/none.gguf"
expect_rc 3 "404"
expect_err "quantbench: error: '$URL_plain/none.gguf': not found (HTTP 404)"
port=$(free_port)
run "$QB" mem -m "http://127.0.0.1:$port/x.gguf"
expect_rc 1 "no server"
expect_err_has "quantbench: error: 'http://127.0.0.1:$port/x.gguf': "
printf 'hello, not a model\n' >srv/text.gguf
run "$QB" mem -m "$URL_plain/text.gguf"
expect_rc 3 "not a GGUF"
expect_err "quantbench: error: '$URL_plain/text.gguf': not a GGUF file (bad magic)"
exit 0
