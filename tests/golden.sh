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
#
# cmd sees: $QB (the binary: $QB, default build/quantbench), $GOLDEN (tests/data/golden),
# $DATA (tests/data), and the shell function golden_db CASE... which builds the fixed
# database ./quantbench.db by importing the input files of the named import/ cases (copied
# here first, so their names stay relative), each run labelled with its case's name.
# The environment is pinned: LC_ALL=C, TZ=UTC, no QB_DB (./quantbench.db of the copy),
# CUDA_VISIBLE_DEVICES= (the machine shows no GPU, so mem's "this machine has 0 GPUs"
# holds on every machine; mem cases use --gpus N >= 1, where the CPU's repacking, which
# depends on this CPU's AVX2/AVX-512, is off).
#
# The normalisation, the ONLY change made to stdout and stderr before they are compared
# (what differs from one run or machine to the next, never a measured value):
#   1. the temporary folder's absolute path               -> <dir>
#   2. a UTC time stamp (2026-12-01T22:03:32Z) of one of the seconds the case ran in,
#      i.e. a run's started/ended time                    -> <now>
#      (time stamps in the input files are older, and kept)
#   3. this machine's host name as a whole JSON "host" value, md table cell or csv field
#      ("host": "vm", | vm |, ,vm,)                       -> <host>
#      (the input files name their host "bench-host", which is kept)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
QB=${QB:-$top/build/quantbench}
QB=$(cd "$(dirname "$QB")" && pwd)/$(basename "$QB")
export QB GOLDEN=$top/tests/data/golden DATA=$top/tests/data
export LC_ALL=C TZ=UTC CUDA_VISIBLE_DEVICES=
unset QB_DB

golden_db() {
    local c f
    for c in "$@"; do
        [ -d "$GOLDEN/import/$c" ] || { echo "golden_db: no case import/$c" >&2; return 1; }
        for f in "$GOLDEN/import/$c"/*; do
            case ${f##*/} in cmd | expected.*) continue ;; esac
            cp "$f" . && "$QB" import --label "$c" "${f##*/}" >/dev/null || return 1
        done
    done
}
export -f golden_db

# sed -E program of the normalisation above for a case run in $1 from second $2 to $3
normalise_program() {
    local dir=$1 s host
    quote() { printf '%s' "$1" | sed 's/[][\.*^$|+?(){}#/]/\\&/g'; }
    printf 's#%s#<dir>#g\n' "$(quote "$dir")"
    for ((s = $2; s <= $3; s++)); do
        printf 's/%s/<now>/g\n' "$(date -u -d "@$s" +%Y-%m-%dT%H:%M:%SZ)"
    done
    host=$(quote "$(hostname)")
    printf 's/("host":[[:space:]]*)"%s"/\\1"<host>"/g\n' "$host"
    printf 's/\\| %s \\|/| <host> |/g\n' "$host"
    printf 's/(^|,)%s(,|$)/\\1<host>\\2/g\n' "$host"
}

pass=0 fail=0
if [ $# -eq 0 ]; then
    cases=()
    while IFS= read -r c; do cases+=("$(dirname "$c")"); done < <(find "$GOLDEN" -name cmd -type f | LC_ALL=C sort)
    [ ${#cases[@]} -gt 0 ] || { echo "FAIL - golden: no cases under $GOLDEN"; fail=1; }
else
    cases=("$@")
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qb-golden.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

for d in ${cases[@]+"${cases[@]}"}; do
    d=$(cd "$d" && pwd) || { fail=$((fail + 1)); echo "FAIL - golden $d: no such folder"; continue; }
    name=$(basename "$(dirname "$d")")/$(basename "$d")
    if [ ! -s "$d/cmd" ]; then
        fail=$((fail + 1)); echo "FAIL - golden $name: no cmd"; continue
    fi
    if [ ! -f "$d/expected.out" ] && [ -z "${QB_GOLDEN_UPDATE:-}" ]; then
        fail=$((fail + 1))
        echo "FAIL - golden $name: no expected.out (QB_GOLDEN_UPDATE=1 bash tests/golden.sh writes it)"
        continue
    fi
    work=$tmp/${name//\//_}
    rm -rf "$work" && mkdir -p "$work/case" && cp -R "$d/." "$work/case/" &&
        rm -f "$work/case"/expected.* || { fail=$((fail + 1)); echo "FAIL - golden $name: copy"; continue; }
    t0=$(date -u +%s)
    (cd "$work/case" && bash -o pipefail -c "$(cat cmd)") >"$work/out.raw" 2>"$work/err.raw"
    echo $? >"$work/actual.rc"
    t1=$(date -u +%s)
    normalise_program "$work/case" "$t0" "$t1" >"$work/norm.sed"
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
        diff -u --label "$name/expected.$f" --label "$name/actual.$f" \
            "$work/expected.$f" "$work/actual.$f"
    done >"$work/diff"
    if [ ! -s "$work/diff" ]; then
        pass=$((pass + 1)); echo "ok - golden $name"
    else
        fail=$((fail + 1)); echo "FAIL - golden $name"
        cat "$work/diff"
    fi
done
echo "golden: $pass passed, $fail failed"
[ $fail -eq 0 ]
