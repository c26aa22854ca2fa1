#!/usr/bin/env bash
# Set-up for quantbench: installs the Debian packages the build needs and finds or
# builds llama.cpp, then writes build/llama.mk for the Makefile.
#
# llama.cpp is taken, in this order, from:
#   1. LLAMA_CPP_DIR: a user's llama.cpp source tree (built here if it has no build/)
#      or build tree (holding bin/libllama.so)
#   2. an installed llama found by `pkg-config llama`
#   3. the pinned release v0.5.0 (commit de3ff815...), fetched from the npm package
#      node-llama-cpp@3.22.1 (package/llama/gitRelease.bundle), sha256-verified, or by a
#      git clone of the tag when QB_LLAMA_GIT=1.
# Builds go to a cache dir keyed by version and flags:
#   ${QB_CACHE:-${XDG_CACHE_HOME:-~/.cache}/quantbench}/llama.cpp-<version>-<flags hash>
# so a second set-up on the same machine does not rebuild.
#
# Environment: QB_CUDA=1 builds the CUDA backend; QB_CMAKE_FLAGS adds cmake flags (part of
# the cache key); QB_JOBS sets build parallelism;
# QB_NO_APT=1 skips package installation; QB_NO_NPM=1 skips `npm ci` of the front-end (web/);
# QB_SETUP_OUT writes the result elsewhere;
# QB_NPM_URL fetches the npm tarball from another address (a mirror; tests).
set -euo pipefail

LLAMA_TAG=v0.5.0
LLAMA_COMMIT=de3ff815ea7d559ee917f063901b8986f038abc6
NPM_PKG=node-llama-cpp
NPM_VER=3.22.1
NPM_SHA256=a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f
NPM_URL=${QB_NPM_URL:-"https://registry.npmjs.org/$NPM_PKG/-/$NPM_PKG-$NPM_VER.tgz"}
LLAMA_GIT_URL=https://github.com/ggml-org/llama.cpp

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${QB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quantbench}
jobs=${QB_JOBS:-$(nproc 2>/dev/null || echo 2)}
out=${QB_SETUP_OUT:-$top/build/llama.mk}

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- packages
need_pkgs() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    printf '%s\n' "${missing[@]}"
}

install_pkgs() {
    [ "${QB_NO_APT:-0}" = 1 ] && return 0
    command -v dpkg-query >/dev/null 2>&1 || { say "not a Debian system: install $* by hand"; return 0; }
    local missing
    missing=$(need_pkgs "$@" | tr '\n' ' ')
    [ -z "${missing// /}" ] && return 0
    say "installing Debian packages: $missing"
    local sudo=
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "packages missing ($missing) and no root or sudo"
        sudo=sudo
    fi
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        $missing >&2 || die "apt-get install failed for: $missing"
}

PKGS=(build-essential cmake git pkg-config curl ca-certificates libcjson-dev libsqlite3-dev libcurl4-openssl-dev libmicrohttpd-dev python3 sqlite3
      python3-git python3-tabulate python3-aiohttp
      slurmctld slurmd slurm-client munge
      liburing-dev)  # liburing: bench/load_floor_uring.c only
install_pkgs "${PKGS[@]}"
# clang with its libFuzzer runtime, for `make fuzz` (optional: the build does not need it)
if [ "${QB_NO_FUZZ_DEPS:-0}" != 1 ] && command -v apt-cache >/dev/null 2>&1; then
    clang_ver=$(apt-cache depends clang 2>/dev/null | sed -n 's/.*Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -1)
    if [ -n "$clang_ver" ]; then
        (install_pkgs clang "libclang-rt-$clang_ver-dev") || say "clang/libFuzzer not installed; make fuzz will be skipped"
    fi
fi

# node and npm: the dashboard's front-end takes uPlot from npm (pinned in web/package-lock.json,
# embedded in the binary at build time) and its browser tests drive chromium through
# playwright-core; installed again when the lock file is newer than web/node_modules
if ! command -v npm >/dev/null 2>&1; then
    install_pkgs nodejs npm
fi
if [ "${QB_NO_NPM:-0}" != 1 ] && command -v npm >/dev/null 2>&1 &&
    { [ ! -f "$top/web/node_modules/.qb-installed" ] ||
        [ "$top/web/package-lock.json" -nt "$top/web/node_modules/.qb-installed" ]; }; then
    say "installing the front-end's npm modules (web/package-lock.json)"
    (cd "$top/web" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
        die "npm ci in web/ failed"
    touch "$top/web/node_modules/.qb-installed"
fi

# Debian's chromium, for the test that opens `report -o html` headless (optional)
if [ "${QB_NO_BROWSER:-0}" != 1 ] && command -v apt-cache >/dev/null 2>&1 &&
    ! command -v chromium >/dev/null 2>&1; then
    (install_pkgs chromium) || say "chromium not installed; the html report test will be skipped"
fi

# ---------------------------------------------------------------- flags
cmake_flags=(-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=ON
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON
    -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF
    -DLLAMA_OPENSSL=OFF)
# QB_CMAKE_FLAGS: extra cmake flags (e.g. -DCMAKE_CUDA_ARCHITECTURES=90); part of the cache key
# shellcheck disable=SC2206
[ -n "${QB_CMAKE_FLAGS:-}" ] && cmake_flags+=(${QB_CMAKE_FLAGS})
# ggml's AMX matmul kernel (compiled in by -march=native where the CPU lists amx_int8)
# crashes in ldtilecfg on some virtual machines (seen on a Sapphire Rapids VM: SIGSEGV in
# ggml_backend_amx_mul_mat for Q8_0 models, in llama-bench and llama-perplexity alike),
# so it is left out unless QB_LLAMA_AMX=1. Without it ggml uses its AVX-512 kernels.
if [ "${QB_LLAMA_AMX:-0}" != 1 ] && grep -qw amx_int8 /proc/cpuinfo 2>/dev/null; then
    cmake_flags+=("-DCMAKE_C_FLAGS=-U__AMX_INT8__" "-DCMAKE_CXX_FLAGS=-U__AMX_INT8__")
fi
backend=cpu
if [ "${QB_CUDA:-0}" = 1 ]; then
    command -v nvcc >/dev/null 2>&1 || die "QB_CUDA=1 but nvcc is not on PATH"
    cmake_flags+=(-DGGML_CUDA=ON)
    backend=cuda
fi
targets=(llama ggml llama-bench llama-batched-bench llama-perplexity llama-quantize llama-imatrix
    llama-server)
# a cached build is complete when it holds every target listed (a target added later is
# built into it incrementally)
complete() { [ "$(cat "$1/.qb-complete" 2>/dev/null)" = "${targets[*]}" ]; }
flags_hash=$(printf '%s\n' "${cmake_flags[@]}" "$(uname -m)" "$(cc -dumpfullversion 2>/dev/null)" |
    sha256sum | cut -c1-10)

write_mk() { # inc_flags lib_dir bin_dir src_dir origin version commit
    mkdir -p "$(dirname "$out")"
    local tmp="$out.tmp.$$"
    {
        echo "# written by scripts/setup.sh; delete to redo the set-up"
        echo "LLAMA_CFLAGS := $1"
        echo "LLAMA_LIBDIR := $2"
        echo "LLAMA_BINDIR := $3"
        echo "LLAMA_SRCDIR := $4"
        echo "LLAMA_ORIGIN := $5"
        echo "LLAMA_VERSION := $6"
        echo "LLAMA_COMMIT := $7"
        # what llama.cpp's own tools report as build_commit / build_number
        local bi="${8:-}/common/build-info.cpp" num=0 short=${7:0:7}
        if [ -f "$bi" ]; then
            num=$(sed -n 's/^int LLAMA_BUILD_NUMBER = \([0-9]*\);/\1/p' "$bi")
            short=$(sed -n 's/^char const \* LLAMA_COMMIT = "\(.*\)";/\1/p' "$bi")
        fi
        echo "LLAMA_BUILD_NUMBER := ${num:-0}"
        echo "LLAMA_BUILD_COMMIT := ${short:-unknown}"
    } >"$tmp"
    mv "$tmp" "$out"
    say "llama.cpp: $5 ($6 ${7:0:8}), libs in $2"
}

# build_tree SRC BUILD: configure and build the library and the reference tools
build_tree() {
    local src=$1 bld=$2
    say "building llama.cpp in $bld (jobs=$jobs; this takes a while once)"
    cmake -S "$src" -B "$bld" "${cmake_flags[@]}" >"$bld.configure.log" 2>&1 ||
        { tail -30 "$bld.configure.log" >&2; die "cmake configure failed (log: $bld.configure.log)"; }
    cmake --build "$bld" -j "$jobs" --target "${targets[@]}" >"$bld.build.log" 2>&1 ||
        { tail -30 "$bld.build.log" >&2; die "llama.cpp build failed (log: $bld.build.log)"; }
    echo "${targets[*]}" >"$bld/.qb-complete"
}

src_inc() { echo "-I$1/include -I$1/ggml/include"; }

# ---------------------------------------------------------------- 1. LLAMA_CPP_DIR
if [ -n "${LLAMA_CPP_DIR:-}" ]; then
    d=$(cd "$LLAMA_CPP_DIR" && pwd) || die "LLAMA_CPP_DIR '$LLAMA_CPP_DIR' does not exist"
    if [ -f "$d/include/llama.h" ]; then
        commit=$(git -C "$d" rev-parse HEAD 2>/dev/null || echo unknown)
        if [ -f "$d/build/bin/libllama.so" ]; then
            bld="$d/build"
        else
            bld="$cache/llama.cpp-user-${commit:0:10}-$backend-$flags_hash"
            complete "$bld" || { mkdir -p "$bld"; build_tree "$d" "$bld"; }
        fi
        write_mk "$(src_inc "$d")" "$bld/bin" "$bld/bin" "$d" "LLAMA_CPP_DIR" user "$commit" "$bld"
        exit 0
    fi
    if [ -f "$d/bin/libllama.so" ]; then # a build tree: find its source through CMakeCache
        s=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$d/CMakeCache.txt" 2>/dev/null || true)
        [ -f "$s/include/llama.h" ] || die "LLAMA_CPP_DIR '$d': cannot find its source tree"
        commit=$(git -C "$s" rev-parse HEAD 2>/dev/null || echo unknown)
        write_mk "$(src_inc "$s")" "$d/bin" "$d/bin" "$s" "LLAMA_CPP_DIR" user "$commit" "$d"
        exit 0
    fi
    die "LLAMA_CPP_DIR '$d' is neither a llama.cpp source tree nor a build tree"
fi

# ---------------------------------------------------------------- 2. pkg-config
if [ "${QB_NO_PKGCONFIG:-0}" != 1 ] && pkg-config --exists llama 2>/dev/null; then
    libdir=$(pkg-config --variable=libdir llama)
    bindir=$(dirname "$(command -v llama-bench 2>/dev/null || echo /usr/bin/llama-bench)")
    write_mk "$(pkg-config --cflags llama)" "$libdir" "$bindir" "" pkg-config \
        "$(pkg-config --modversion llama)" unknown
    exit 0
fi

# ---------------------------------------------------------------- 3. pinned release
base="$cache/llama.cpp-$LLAMA_TAG-${LLAMA_COMMIT:0:8}"
src="$base/src"
bld="$base-$backend-$flags_hash"

fetch_src() {
    mkdir -p "$cache/dl"
    if [ "${QB_LLAMA_GIT:-0}" = 1 ]; then
        say "cloning $LLAMA_GIT_URL $LLAMA_TAG"
        rm -rf "$src.tmp"
        git clone -q --branch "$LLAMA_TAG" "$LLAMA_GIT_URL" "$src.tmp"
    else
        local tgz="$cache/dl/$NPM_PKG-$NPM_VER.tgz"
        if [ ! -f "$tgz" ] || ! echo "$NPM_SHA256  $tgz" | sha256sum -c --status; then
            say "fetching $NPM_URL"
            curl -fsSL --retry 3 -o "$tgz.part" "$NPM_URL" ||
                ([ -z "${QB_NPM_URL:-}" ] && command -v npm >/dev/null 2>&1 && cd "$cache/dl" &&
                    npm pack -q "$NPM_PKG@$NPM_VER" >/dev/null 2>&1 &&
                    mv "$NPM_PKG-$NPM_VER.tgz" "$tgz.part") ||
                die "cannot download $NPM_PKG@$NPM_VER from '$NPM_URL'"
            mv "$tgz.part" "$tgz"
        fi
        echo "$NPM_SHA256  $tgz" | sha256sum -c --status ||
            die "'$tgz': sha256 mismatch (expected $NPM_SHA256)"
        rm -rf "$cache/dl/x" && mkdir -p "$cache/dl/x"
        tar -xzf "$tgz" -C "$cache/dl/x" package/llama/gitRelease.bundle ||
            die "'$tgz' carries no package/llama/gitRelease.bundle"
        git bundle verify -q "$cache/dl/x/package/llama/gitRelease.bundle" >/dev/null 2>&1 ||
            die "gitRelease.bundle in '$tgz' is not a valid git bundle"
        rm -rf "$src.tmp"
        git clone -q "$cache/dl/x/package/llama/gitRelease.bundle" "$src.tmp" 2>/dev/null
        rm -rf "$cache/dl/x"
    fi
    local got
    got=$(git -C "$src.tmp" rev-parse HEAD)
    [ "$got" = "$LLAMA_COMMIT" ] || die "fetched llama.cpp is at $got, expected $LLAMA_COMMIT"
    rm -rf "$src" && mv "$src.tmp" "$src"
}

if [ ! -f "$src/include/llama.h" ] || [ "$(git -C "$src" rev-parse HEAD 2>/dev/null)" != "$LLAMA_COMMIT" ]; then
    fetch_src
fi
if ! complete "$bld"; then
    mkdir -p "$bld"
    build_tree "$src" "$bld"
else
    say "reusing cached llama.cpp build $bld"
fi
write_mk "$(src_inc "$src")" "$bld/bin" "$bld/bin" "$src" pinned "$LLAMA_TAG" "$LLAMA_COMMIT" "$bld"
