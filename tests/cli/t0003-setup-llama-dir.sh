# scripts/setup.sh takes LLAMA_CPP_DIR first: a build tree is used as it is; a path that
# is neither a source nor a build tree is refused with a one-line error
. "$(dirname "$0")/lib.sh"
need_llama_tool llama-bench
top=$(cd "$(dirname "$0")/../.." && pwd)
bld=$(dirname "$LLAMA_BINDIR")
[ -f "$bld/CMakeCache.txt" ] || { echo "LLAMA_BINDIR is not in a cmake build tree"; exit 77; }
LLAMA_CPP_DIR=$bld QB_SETUP_OUT=$T/llama.mk QB_NO_APT=1 QB_NO_FUZZ_DEPS=1 run bash "$top/scripts/setup.sh"
expect_rc 0
grep -qx "LLAMA_ORIGIN := LLAMA_CPP_DIR" llama.mk || { cat llama.mk; fail "origin"; }
grep -qx "LLAMA_LIBDIR := $bld/bin" llama.mk || fail "libdir"
grep -q "^LLAMA_CFLAGS := -I.*/include" llama.mk || fail "cflags"
LLAMA_CPP_DIR=$T QB_SETUP_OUT=$T/x.mk QB_NO_APT=1 QB_NO_FUZZ_DEPS=1 run bash "$top/scripts/setup.sh"
expect_rc 1
expect_err "setup: error: LLAMA_CPP_DIR '$T' is neither a llama.cpp source tree nor a build tree"
[ ! -e x.mk ] || fail "wrote a config for a bad LLAMA_CPP_DIR"
