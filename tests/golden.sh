#!/usr/bin/env bash
# Golden, data-driven tests: every case is a folder under tests/data/golden/<area>/<case>
# holding
#   cmd           one shell line, run by bash in a fresh temporary copy of the folder
#   input files   whatever cmd reads
#   expected.out  its stdout (required: a case without it fails)
#   expected.err  its stderr (absent: stderr must be empty)
#   expected.rc   its exit code (absent: 0)
# and the runner prints "ok - golden <area>/<case>" or "FAIL - golden <area>/<case>" with
# `diff -u` of expected and actual, then a last line "golden: N passed, N failed".
#
#   bash tests/golden.sh [CASE_DIR...]           every case (default) or the ones named
#   QB_GOLDEN_UPDATE=1 bash tests/golden.sh ...  rewrite the expected files from what the
#                                                cases print now (review the git diff!)
#   QB_GOLDEN_JOBS=N                             cases at a time (default 4)
# A new case: a folder with its cmd and inputs, then QB_GOLDEN_UPDATE=1 on it, and read
# what it wrote. mem has no CPU-only case: its CPU_REPACK share depends on this CPU.
#
# cmd sees: $QB (the binary, default build/quantbench), $GOLDEN (tests/data/golden),
# $DATA (tests/data), $TESTS (tests: the sql cases read tests/fuzz/seed-import, so that
# those files are not kept twice), and the shell function golden_db CASE... which builds the fixed
# database ./quantbench.db by importing the input files of the named import/ cases (copied
# here first, so their names stay relative), each run labelled with its case's name (built
# once per runner and list of cases, then copied).
# The environment is pinned: LC_ALL=C, TZ=UTC, no QB_DB (./quantbench.db of the copy),
# CUDA_VISIBLE_DEVICES= (the machine shows no GPU, so mem's "this machine has 0 GPUs"
# holds on every machine; mem cases use --gpus N >= 1, where the CPU's repacking, which
# depends on this CPU's AVX2/AVX-512, is off).
#
# The normalisation, the ONLY change made to stdout and stderr before they are compared
# (what differs from one run or machine to the next, never a measured value):
#   1. the temporary folder's absolute path               -> <dir>
#   2. a UTC time stamp (2026-12-01T22:03:32Z) of one of the seconds this runner has run
#      in, i.e. a run's started/ended time                -> <now>
#      (time stamps in the input files are older, and kept)
#   3. this machine's host name as a whole JSON "host" value, md table cell or csv field
#      ("host": "vm", | vm |, ,vm,)                       -> <host>
#      (the input files name their host "bench-host", which is kept; the sql cases rewrite
#      the seeds' 'vm' as they copy them)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
QB=${QB:-$top/build/quantbench}
QB=$(cd "$(dirname "$QB")" && pwd)/$(basename "$QB")
export QB GOLDEN=$top/tests/data/golden DATA=$top/tests/data TESTS=$top/tests
export LC_ALL=C TZ=UTC CUDA_VISIBLE_DEVICES=
unset QB_DB

golden_db() {
    local c f n cache
    cache=$GOLDEN_CACHE/db-$(printf '%s ' "$@" | cksum | cut -d' ' -f1)
    if [ -d "$cache" ]; then # built by an earlier case of this runner from the same cases
        cp "$cache"/* . && return 0
        return 1
    fi
    for c in "$@"; do
        [ -d "$GOLDEN/import/$c" ] || { echo "golden_db: no case import/$c" >&2; return 1; }
        n=0
        for f in "$GOLDEN/import/$c"/*; do
            case ${f##*/} in cmd | expected.*) continue ;; esac
            cp "$f" . && "$QB" import --label "$c" "${f##*/}" >/dev/null || return 1
            n=$((n + 1))
        done
        [ $n -gt 0 ] || { echo "golden_db: import/$c keeps no input file" >&2; return 1; }
    done
    # cases run in parallel: the copy appears whole (a rename) or not at all
    mkdir -p "$cache.$$" && cp quantbench.db* "$cache.$$"/ &&
        { mv -T "$cache.$$" "$cache" 2>/dev/null || rm -rf "$cache.$$"; }
}
export -f golden_db

# the sed -E program of the normalisation above, for a case run in folder $1 while this
# runner has run from second $start to second $2
quote() { printf '%s' "$1" | sed 's/[][\.*^$|+?(){}#/]/\\&/g'; }
host=$(quote "$(uname -n)")
normalise_program() {
    printf 's#%s#<dir>#g\n' "$(quote "$1")"
    seq "$start" "$2" | sed 's/^/@/' | date -u -f - '+s/%Y-%m-%dT%H:%M:%SZ/<now>/g'
    printf 's/("host":[[:space:]]*)"%s"/\\1"<host>"/g\n' "$host"
    printf 's/\\| %s \\|/| <host> |/g\n' "$host"
    printf 's/(^|,)%s(,|$)/\\1<host>\\2/g\n' "$host"
}

# run_case DIR WORK: run one case in WORK (a fresh folder) and print its report lines
run_case() {
    local d=$1 work=$2 name f t1
    name=$(basename "$(dirname "$d")")/$(basename "$d")
    if [ ! -s "$d/cmd" ]; then
        echo "FAIL - golden $name: no cmd"
        return
    fi
    if [ ! -f "$d/expected.out" ] && [ -z "${QB_GOLDEN_UPDATE:-}" ]; then
        echo "FAIL - golden $name: no expected.out (QB_GOLDEN_UPDATE=1 bash tests/golden.sh writes it)"
        return
    fi
    mkdir -p "$work/case" && cp -R "$d/." "$work/case/" && rm -f "$work/case"/expected.* ||
        { echo "FAIL - golden $name: cannot copy the case"; return; }
    (cd "$work/case" && bash -o pipefail -c "$(cat cmd)") >"$work/out.raw" 2>"$work/err.raw"
    echo $? >"$work/actual.rc"
    t1=$(date -u +%s)
    normalise_program "$work/case" "$t1" >"$work/norm.sed"
    sed -E -f "$work/norm.sed" "$work/out.raw" >"$work/actual.out"
    sed -E -f "$work/norm.sed" "$work/err.raw" >"$work/actual.err"
    if [ -n "${QB_GOLDEN_UPDATE:-}" ]; then
        cp "$work/actual.out" "$d/expected.out"
        if [ -s "$work/actual.err" ]; then cp "$work/actual.err" "$d/expected.err"; else rm -f "$d/expected.err"; fi
        if [ "$(cat "$work/actual.rc")" != 0 ]; then cp "$work/actual.rc" "$d/expected.rc"; else rm -f "$d/expected.rc"; fi
    fi
    [ -f "$d/expected.rc" ] && cp "$d/expected.rc" "$work/expected.rc" || echo 0 >"$work/expected.rc"
    [ -f "$d/expected.err" ] && cp "$d/expected.err" "$work/expected.err" || : >"$work/expected.err"
    cp "$d/expected.out" "$work/expected.out"
    for f in rc out err; do
        diff -u --label "$name/expected.$f" --label "$name/actual.$f" "$work/expected.$f" "$work/actual.$f"
    done >"$work/diff"
    if [ -s "$work/diff" ]; then
        echo "FAIL - golden $name"
        cat "$work/diff"
    else
        echo "ok - golden $name"
    fi
}

if [ $# -eq 0 ]; then
    cases=()
    while IFS= read -r c; do cases+=("$(dirname "$c")"); done < <(find "$GOLDEN" -name cmd -type f | LC_ALL=C sort)
    [ ${#cases[@]} -gt 0 ] || { printf 'FAIL - golden: no cases under %s\ngolden: 0 passed, 1 failed\n' "$GOLDEN"; exit 1; }
else
    cases=("$@")
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qb-golden.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export GOLDEN_CACHE=$tmp/cache
start=$(date -u +%s)

# QB_GOLDEN_JOBS cases at a time (default 4: most of a case's time is SQLite's fsync),
# the reports printed in the cases' order
jobs=${QB_GOLDEN_JOBS:-4}
for i in "${!cases[@]}"; do
    d=${cases[$i]}
    if ! d=$(cd "$d" 2>/dev/null && pwd); then
        echo "FAIL - golden ${cases[$i]}: no such folder" >"$tmp/$i.report"
        continue
    fi
    while [ "$(jobs -pr | wc -l)" -ge "$jobs" ]; do wait -n; done
    run_case "$d" "$tmp/$i" >"$tmp/$i.report" 2>&1 &
done
wait
pass=0 fail=0
for i in "${!cases[@]}"; do
    cat "$tmp/$i.report"
    case $(head -1 "$tmp/$i.report") in
    "ok - "*) pass=$((pass + 1)) ;;
    *) fail=$((fail + 1)) ;;
    esac
done
echo "golden: $pass passed, $fail failed"
[ $fail -eq 0 ]
