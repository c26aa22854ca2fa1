#!/usr/bin/env bash
# The golden runner (tests/golden.sh) can fail: on a copy of a case it passes as checked in,
# and a changed expected output, exit code or a stderr line nobody expects is a FAIL with
# the diff -u line that shows it; a case without expected.out, or a folder that is not
# there, fails too; QB_GOLDEN_UPDATE=1 writes the expected files back as they were.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
golden=$top/tests/data/golden
mkdir -p g/import
cp -R "$golden/import/llama-bench-csv" g/import/csv
cp -R "$golden/import/error-empty" g/import/empty
c=g/import/csv
first="imported 'llama-bench.csv': llama-bench csv, 2 rows, run 1"
[ "$(head -1 $c/expected.out)" = "$first" ] || fail "the case's first line: $(head -1 $c/expected.out)"

runner() { run bash "$top/tests/golden.sh" "$@"; }
out_is() { # the exact stdout
    [ "$(cat "$T/out")" = "$1" ] || fail "stdout mismatch:
--- want
$1
--- got
$(cat "$T/out")"
}
line() { grep -qxF -- "$1" "$T/out" || { cat "$T/out" >&2; fail "no line '$1'"; }; }

runner $c g/import/empty
expect_rc 0 "the copies as checked in"
out_is "ok - golden import/csv
ok - golden import/empty
golden: 2 passed, 0 failed"

# a changed line of stdout: FAIL and the diff
cp $c/expected.out saved.out
sed -i '1s/2 rows/3 rows/' $c/expected.out
runner $c
expect_rc 1 "a changed expected.out"
line "FAIL - golden import/csv"
line "--- import/csv/expected.out"
line "+++ import/csv/actual.out"
line "@@ -1,4 +1,4 @@"
line "-imported 'llama-bench.csv': llama-bench csv, 3 rows, run 1"
line "+$first"
line "golden: 0 passed, 1 failed"

# QB_GOLDEN_UPDATE=1 writes it back as it was, and it passes again
QB_GOLDEN_UPDATE=1 runner $c
expect_rc 0 "update"
cmp -s saved.out $c/expected.out || fail "the update did not restore expected.out"
[ ! -e $c/expected.err ] && [ ! -e $c/expected.rc ] || fail "the update wrote an empty err or a 0 rc"
runner $c
expect_rc 0 "after the update"

# another exit code
echo 3 >$c/expected.rc
runner $c
expect_rc 1 "a changed expected.rc"
out_is "FAIL - golden import/csv
--- import/csv/expected.rc
+++ import/csv/actual.rc
@@ -1 +1 @@
-3
+0
golden: 0 passed, 1 failed"
rm $c/expected.rc

# stderr that is not expected (expected.err absent: stderr must be empty)
rm g/import/empty/expected.err
runner g/import/empty
expect_rc 1 "an unexpected stderr line"
line "FAIL - golden import/empty"
line "+quantbench: error: 'empty.json' empty file"

# no expected.out; no such folder
rm $c/expected.out
runner $c g/import/none
expect_rc 1 "no expected.out"
out_is "FAIL - golden import/csv: no expected.out (QB_GOLDEN_UPDATE=1 bash tests/golden.sh writes it)
FAIL - golden g/import/none: no such folder
golden: 0 passed, 2 failed"
echo ok
