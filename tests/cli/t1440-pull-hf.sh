# pull against a test-owned fake Hub (tests/hf_fake_server.py): the quant picked as llama.cpp's
# -hf picks it (default Q4_K_M, then Q8_0; a tag case-insensitively; no projector), a split
# model whole, the files equal to the repository's, paths on stdout, a complete file kept
# without a request for its bytes (and not hashed again while the mark of its check holds),
# a paged listing, a URL, --revision, and every bad input with its exact message and exit
# code.
. "$(dirname "$0")/lib.sh"
trap 'for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done' EXIT

R=$T/root/org/m-GGUF
mkdir -p "$R/sub" "$T/root/org/only8"
cp "$(model_dense)" "$R/m-Q4_K_M.gguf"
head -c 5000 /dev/urandom >"$R/m-Q8_0.gguf"
head -c 700 /dev/urandom >"$R/mmproj-m-Q4_K_M.gguf"
echo hello >"$R/README.md"
for k in 1 2 3; do head -c $((100000 + k)) /dev/urandom >"$R/sub/big-Q2_K-0000$k-of-00003.gguf"; done
head -c 900 /dev/urandom >"$T/root/org/only8/x.Q8_0.gguf"
start_hf_fake hf "$T/root" --page-size 2 --revisions main,v1

# ---- default quant: Q4_K_M (not the projector that also holds the tag), placed and equal
run "$QB" pull org/m-GGUF -o dl
expect_rc 0 "default quant"
[ "$(cat "$T/out")" = "dl/m-Q4_K_M.gguf" ] || fail "stdout: $(cat "$T/out")"
cmp -s dl/m-Q4_K_M.gguf "$R/m-Q4_K_M.gguf" || fail "the file differs"
[ ! -e dl/m-Q4_K_M.gguf.part ] || fail "a partial left"
expect_err_has "pull 'm-Q4_K_M.gguf': "
grep -q "(100%)" "$T/err" || fail "no final progress line"
"$QB" info dl/m-Q4_K_M.gguf >/dev/null || fail "the pulled model does not read"
# the listing came in pages (Link: rel="next"), all of them read
n=$(grep -c '"path": "/api/models/org/m-GGUF/tree/main?recursive=true' hf/hf.log)
[ "$n" -ge 4 ] || fail "the listing's pages: $n requests"

# ---- again: complete, kept, no byte fetched. The placed file carries the mark of its
# checked hash, size and mtime (user.quantbench.sha256), so it is not hashed again while
# they stay; touched, it is hashed again (and marked anew); changed, it is fetched again.
# A file system without user attributes keeps no mark: hashed every time.
xattr() { python3 -c 'import os, sys
try: print(os.getxattr(sys.argv[1], "user.quantbench.sha256").decode())
except OSError: print("")' "$1"; }
sha=$(sha256sum "$R/m-Q4_K_M.gguf" | cut -d' ' -f1)
mark=$(xattr dl/m-Q4_K_M.gguf)
: >hf/hf.log
run "$QB" pull org/m-GGUF -o dl
expect_rc 0 "complete"
! grep -q '"server": "cdn"' hf/hf.log || fail "bytes fetched for a complete file"
want_mark() { python3 -c 'import os, sys
st = os.stat(sys.argv[2]); ns = st.st_mtime_ns
print("%s %d %d.%09d" % (sys.argv[1], st.st_size, ns // 10**9, ns % 10**9))' "$1" "$2"; }
touch dl/probe
if python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.qb-probe", b"1")' dl/probe 2>/dev/null; then
    rm -f dl/probe
    [ "$mark" = "$(want_mark "$sha" dl/m-Q4_K_M.gguf)" ] ||
        fail "the mark: '$mark' (want '$(want_mark "$sha" dl/m-Q4_K_M.gguf)')"
    expect_err "pull 'm-Q4_K_M.gguf': already complete (size, and its SHA-256 checked before at this size and mtime)"
    touch -d '2020-01-01 00:00:00' dl/m-Q4_K_M.gguf
    run "$QB" pull org/m-GGUF -o dl
    expect_rc 0 "touched"
    expect_err "pull 'm-Q4_K_M.gguf': already complete (size and SHA-256 match)"
    [ "$(xattr dl/m-Q4_K_M.gguf)" = "$(want_mark "$sha" dl/m-Q4_K_M.gguf)" ] ||
        fail "not marked anew: $(xattr dl/m-Q4_K_M.gguf)"
    run "$QB" pull org/m-GGUF -o dl
    expect_err "pull 'm-Q4_K_M.gguf': already complete (size, and its SHA-256 checked before at this size and mtime)"
else
    rm -f dl/probe
    [ -z "$mark" ] || fail "a mark on a file system without user attributes"
    expect_err "pull 'm-Q4_K_M.gguf': already complete (size and SHA-256 match)"
fi
# a byte changed (a new mtime): hashed, found wrong, fetched again whole
printf 'X' | dd of=dl/m-Q4_K_M.gguf bs=1 seek=5 conv=notrunc status=none
: >hf/hf.log
run "$QB" pull org/m-GGUF -o dl --no-progress
expect_rc 0 "changed"
cmp -s dl/m-Q4_K_M.gguf "$R/m-Q4_K_M.gguf" || fail "the changed file not fetched again"
grep -q '"server": "cdn"' hf/hf.log || fail "the changed file: no bytes fetched"

# ---- a tag in lower case; a Q8_0 fallback; a split model: all parts, in order
run "$QB" pull org/m-GGUF:q8_0 -o dl --no-progress
expect_rc 0 "q8_0"
[ "$(cat "$T/out")" = "dl/m-Q8_0.gguf" ] || fail "q8_0: $(cat "$T/out")"
[ ! -s "$T/err" ] || fail "--no-progress printed: $(cat "$T/err")"
run "$QB" pull org/only8 -o dl8
expect_rc 0 "Q8_0 fallback"
[ "$(cat "$T/out")" = "dl8/x.Q8_0.gguf" ] || fail "fallback: $(cat "$T/out")"
run "$QB" pull org/m-GGUF:Q2_K -o dl --revision v1
expect_rc 0 "split"
printf 'dl/big-Q2_K-0000%d-of-00003.gguf\n' 1 2 3 | cmp -s - "$T/out" || fail "split: $(cat "$T/out")"
for k in 1 2 3; do cmp -s "dl/big-Q2_K-0000$k-of-00003.gguf" "$R/sub/big-Q2_K-0000$k-of-00003.gguf" ||
    fail "part $k differs"; done
grep -q '"path": "/org/m-GGUF/resolve/v1/sub/big-Q2_K-00002-of-00003.gguf"' hf/hf.log ||
    fail "not resolved at revision v1"

# ---- a URL: size and hash from X-Linked-Size / X-Linked-Etag
run "$QB" pull "$HF_URL/org/m-GGUF/resolve/main/m-Q8_0.gguf" -o dlu
expect_rc 0 "URL"
cmp -s dlu/m-Q8_0.gguf "$R/m-Q8_0.gguf" || fail "URL: the file differs"
! grep -q "no SHA-256 known" "$T/err" || fail "URL: the hash was not learned"

# ---- errors
run "$QB" pull org/m-GGUF:IQ1_S -o dl
expect_rc 3 "no such quant"
expect_err "quantbench: error: 'org/m-GGUF': no GGUF file matches the quant 'IQ1_S'; quants available: Q4_K_M, Q8_0, Q2_K"
run "$QB" pull org/nope -o dl
expect_rc 3 "no such repo"
expect_err "quantbench: error: 'org/nope': no such repository or revision 'main' (HTTP 404)"
run "$QB" pull org/m-GGUF --revision v9 -o dl
expect_rc 3 "no such revision"
expect_err "quantbench: error: 'org/m-GGUF': no such repository or revision 'v9' (HTTP 404)"
run "$QB" pull "$HF_URL/org/m-GGUF/resolve/main/gone.gguf" -o dl
expect_rc 3 "no such file"
expect_err "quantbench: error: '$HF_URL/org/m-GGUF/resolve/main/gone.gguf': not found (HTTP 404)"
run "$QB" pull noslash -o dl
expect_rc 3 "bad spec"
expect_err "quantbench: error: 'noslash': not OWNER/NAME[:QUANT] or an http(s) URL"
run "$QB" pull org/m-GGUF: -o dl
expect_rc 3 "empty quant"
expect_err "quantbench: error: 'org/m-GGUF:': the quant after ':' must be a tag such as Q4_K_M"
run "$QB" pull
expect_rc 2 "no spec"
expect_err "quantbench pull: no REPO[:QUANT] or URL given; try 'quantbench pull --help'"
run "$QB" pull a/b c/d
expect_rc 2 "two specs"
expect_err "quantbench pull: one REPO[:QUANT] or URL, got a second: 'c/d'; try 'quantbench pull --help'"
run "$QB" pull a/b --bogus
expect_rc 2 "unknown flag"
expect_err "quantbench pull: unknown flag '--bogus'; try 'quantbench pull --help'"
run "$QB" pull a/b -o
expect_rc 2 "-o without a value"
run "$QB" pull a/b -o "$R/README.md"
expect_rc 2 "-o a file"
kill "$HF_PID"
run "$QB" pull org/m-GGUF -o dl
expect_rc 1 "no server"
expect_err_has "quantbench: error: '$HF_URL/api/models/org/m-GGUF/tree/main?recursive=true': "
run "$QB" pull --help
expect_rc 0 "help"
expect_out_has "usage: quantbench pull REPO[:QUANT] | URL"
echo "ok"
