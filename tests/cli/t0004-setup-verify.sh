# scripts/setup.sh verifies what it fetches: a tarball whose sha256 is not the pinned one is
# refused (served by a local HTTP server; nothing is built or written)
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "no python3 for the local server"; exit 77; }
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p www
head -c 4096 /dev/urandom >www/node-llama-cpp-3.22.1.tgz
python3 -m http.server 0 --bind 127.0.0.1 --directory www >srv.log 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null' EXIT
port=""
for _ in $(seq 1 50); do
    port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' srv.log | head -1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || fail "local server did not start"
QB_CACHE=$T/cache QB_SETUP_OUT=$T/llama.mk QB_NO_APT=1 QB_NO_FUZZ_DEPS=1 QB_NO_PKGCONFIG=1 \
    QB_NPM_URL="http://127.0.0.1:$port/node-llama-cpp-3.22.1.tgz" LLAMA_CPP_DIR= \
    run bash "$top/scripts/setup.sh"
expect_rc 1
expect_err_has "setup: error: '$T/cache/dl/node-llama-cpp-3.22.1.tgz': sha256 mismatch (expected a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f)"
[ ! -e llama.mk ] || fail "a config was written"
[ ! -d cache/llama.cpp-v0.5.0-de3ff815/src ] || fail "a source tree was unpacked"
# an address that serves nothing: a clear error, no registry fallback
QB_CACHE=$T/cache2 QB_SETUP_OUT=$T/llama.mk QB_NO_APT=1 QB_NO_FUZZ_DEPS=1 QB_NO_PKGCONFIG=1 \
    QB_NPM_URL="http://127.0.0.1:$port/missing.tgz" LLAMA_CPP_DIR= run bash "$top/scripts/setup.sh"
expect_rc 1
expect_err_has "setup: error: cannot download node-llama-cpp@3.22.1 from 'http://127.0.0.1:$port/missing.tgz'"
