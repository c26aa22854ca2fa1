# file names, labels, -ot patterns and metadata reach bench's md/csv output, its progress and
# error lines, llama.cpp's log (-v -v) and 'report' (rows and --runs) escaped: no raw ESC or
# other control byte, no '|' or newline that breaks an md table
. "$(dirname "$0")/lib.sh"
f=$'m|x\e[1m\n.gguf'
cp "$(model_dense)" "$f"
gguf_set_name "$f" "b'\x1b]0;pwned\x07|\n\x1b[2J'" || fail "patch"
noesc() { # file what: no ESC nor other C0 control than newline and tab
    python3 -c "import sys; sys.exit(any(c < 32 and c not in (9, 10) for c in open(sys.argv[1], 'rb').read()))" "$1" ||
        fail "raw control bytes in $2: $(od -c "$1" | head -20)"
}
intact() { # file what: every line is a table row, the blank line or the build footer
    grep -vxE '\|.*\||build: .*|' "$1" && fail "$2: a table row was broken"
    return 0
}
label=$'lab\e[31m|\nel'
run "$QB" bench -m "$f" -p 8 -n 2 -r 1 -t 1 --progress -ot 'blk\.(0|1)\.ffn_up=CPU' --label "$label"
expect_rc 0 "bench"
noesc "$T/out" "bench md"
noesc "$T/err" "bench stderr"
intact "$T/out" "bench md"
expect_out_has '| blk\.(0\|1)\.ffn_up=CPU |'
expect_err_has "quantbench: [....................] 1/2 'm|x\x1b[1m\n.gguf' pp8 t=1, ETA ?"
[ "$(wc -l <"$T/err")" -eq 2 ] || fail "two progress lines"
run "$QB" bench -m "$f" -p 8 -n 0 -r 1 -t 1 -o csv -ot 'a|b=CPU' --no-db
expect_rc 0 "bench csv"
noesc "$T/out" "bench csv"
grep -qF '"m|x\x1b[1m' "$T/out" || fail "csv file name"
# llama.cpp's own log lines quote the metadata
run "$QB" bench -m "$f" -p 8 -n 0 -r 1 -t 1 -v -v --no-db
expect_rc 0 "bench -v -v"
noesc "$T/err" "llama.cpp log"
expect_err_has 'general.name str              = \x1b]0;pwned\x07|'
# error lines naming a file
run "$QB" bench -m $'no\e[31m\nsuch.gguf' -p 8
expect_rc 3 "missing"
expect_err "quantbench: error: cannot open 'no\x1b[31m\nsuch.gguf': No such file or directory"
# report: rows (label, model file) and runs (label)
run "$QB" report
expect_rc 0 "report"
noesc "$T/out" "report md"
intact "$T/out" "report md"
expect_out_has '| lab\x1b[31m\|\nel | bench | m\|x\x1b[1m\n.gguf | pp8 |'
run "$QB" report --runs
expect_rc 0 "report --runs"
noesc "$T/out" "report --runs"
intact "$T/out" "report --runs"
expect_out_has '| lab\x1b[31m\|\nel | bench |'
run "$QB" report -o csv
expect_rc 0 "report csv"
noesc "$T/out" "report csv"
run "$QB" report -o html
expect_rc 0 "report html"
noesc "$T/out" "report html"
# import: the file's name in its output line and in the runs' "imported from"
"$QB" bench -m "$f" -p 8 -n 0 -r 1 -t 1 -o jsonl --no-db >$'lb\e[1m|.jsonl' 2>/dev/null || fail "jsonl"
run "$QB" import $'lb\e[1m|.jsonl' --db imp.db
expect_rc 0 "import"
noesc "$T/out" "import"
expect_out_has "imported 'lb\x1b[1m|.jsonl': llama-bench jsonl, 1 row, run 1"
run "$QB" report --runs --db imp.db
expect_rc 0 "import runs"
intact "$T/out" "import runs"
expect_out_has '| lb\x1b[1m\|.jsonl |'
# compare: A/B named by labels, the varying settings in the table
run "$QB" bench -m "$f" -p 8 -n 0 -r 2 -t 1,2 --label $'B\e[1m'
expect_rc 0 "bench B"
run "$QB" bench -m "$f" -p 8 -n 0 -r 2 -t 1,2 --label $'A\e[1m|'
expect_rc 0 "bench A"
run "$QB" compare $'A\e[1m|' $'B\e[1m'
expect_rc 0 "compare"
noesc "$T/out" "compare md"
grep -q '^A: A\\x1b\[1m| · B: B\\x1b\[1m · 2 matched' "$T/out" || fail "compare footer: $(cat "$T/out")"
echo ok
