#!/usr/bin/env bash
# Runs the whole suite: the unit tests (one line each), the golden cases of
# tests/data/golden (tests/golden.sh, one line each) and every tests/cli/t*.sh
# script (exit 0 = pass, 77 = skip, other = fail). The last line is
# "N passed, N failed, N skipped".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export QB=${QB:-$top/build/quantbench}
export UNIT=${UNIT:-$top/build/test_unit}
export QB=$(cd "$(dirname "$QB")" && pwd)/$(basename "$QB")
export UNIT=$(cd "$(dirname "$UNIT")" && pwd)/$(basename "$UNIT")
export QB_TEST_TMP=${QB_TEST_TMP:-$(mktemp -d /tmp/qb-test.XXXXXX)}
export LLAMA_BINDIR=${LLAMA_BINDIR:-}
pass=0 fail=0 skip=0
failed=()

out=$("$UNIT" 2>&1)
while IFS= read -r line; do
    case "$line" in
    "ok - "*) pass=$((pass + 1)); echo "$line" ;;
    "FAIL - "*) fail=$((fail + 1)); failed+=("${line#FAIL - }"); echo "$line" ;;
    esac
done <<<"$out"
if grep -q '^FAIL' <<<"$out" || ! grep -q '^unit: ' <<<"$out"; then
    grep -v '^ok - ' <<<"$out" | sed 's/^/    /'
    grep -q '^unit: ' <<<"$out" || { fail=$((fail + 1)); failed+=("unit binary crashed"); }
fi

# the golden cases (tests/golden.sh), one test each; a failing case's diff follows it indented
out=$(TMPDIR=$QB_TEST_TMP bash "$top/tests/golden.sh" 2>&1)
while IFS= read -r line; do
    case "$line" in
    "ok - "*) pass=$((pass + 1)); echo "$line" ;;
    "FAIL - "*) fail=$((fail + 1)); failed+=("${line#FAIL - }"); echo "$line" ;;
    "golden: "*) ;;
    *) echo "    $line" ;;
    esac
done <<<"$out"
grep -q '^golden: ' <<<"$out" || { fail=$((fail + 1)); failed+=("golden runner crashed"); }

for t in "$top"/tests/cli/t*.sh; do
    name=$(basename "$t" .sh)
    log="$QB_TEST_TMP/$name.log"
    start=$(date +%s)
    (cd "$QB_TEST_TMP" && bash "$t") >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1)); echo "ok - $name (${secs}s)"
    elif [ $rc -eq 77 ]; then
        skip=$((skip + 1)); echo "skip - $name: $(tail -1 "$log")"
    else
        fail=$((fail + 1)); failed+=("$name"); echo "FAIL - $name (exit $rc)"
        tail -25 "$log" | sed 's/^/    /'
    fi
done

[ ${#failed[@]} -gt 0 ] && printf 'failed: %s\n' "${failed[*]}"
[ $fail -eq 0 ] && [ -z "${QB_KEEP_TMP:-}" ] && rm -rf "$QB_TEST_TMP"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
