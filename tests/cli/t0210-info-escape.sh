# strings from outside (GGUF metadata, file names) reach the terminal escaped: no raw ESC
# or other control byte, no newline or '|' that breaks the md table; valid UTF-8 is kept
. "$(dirname "$0")/lib.sh"
# the model's general.name rewritten in place (same length): ESC sequence, '|', newline,
# a C1 CSI (U+009B as UTF-8), a byte that is not UTF-8, then "e" and a kept "é"
f=$'a|b\e[1m\nc.gguf'
cp "$(model_dense)" "$f"
gguf_set_name "$f" "b'\x1b[31mev|l\n\xc2\x9b\xffe\xc3\xa9'" || fail "patch"
noesc() { # file what [json]: no ESC nor other C0 control than newline and tab, no C1 CSI
    # (json: a C1 character is text JSON carries as it is, there is no ESC to start it)
    python3 -c "
import sys
b = open(sys.argv[1], 'rb').read()
sys.exit(any(c < 32 and c not in (9, 10) for c in b) or (len(sys.argv) < 3 and b'\xc2\x9b' in b))" "$1" ${3:+json} ||
        fail "raw control bytes in $2: $(od -c "$1" | head -20)"
}
run "$QB" info "$f"
expect_rc 0 "info"
noesc "$T/out" "info md"
noesc "$T/err" "info stderr"
expect_out_has '| file | a\|b\x1b[1m\nc.gguf |'
expect_out_has '| name | \x1b[31mev\|l\n\xc2\x9b\xffeé |'
# every line of the table is one row: it starts and ends with '|' (or is the blank line)
grep -vxE '\|.*\||' "$T/out" && fail "a table row was broken"
# json keeps the exact text (JSON escapes control characters itself)
run "$QB" info "$f" -o json
expect_rc 0 "info json"
noesc "$T/out" "info json" json
python3 -c "
import json, sys
j = json.loads(open(sys.argv[1], 'rb').read().decode('utf-8', 'surrogateescape'))
assert j['file'] == sys.argv[2], j['file']
assert j['name'].encode('utf-8', 'surrogateescape') == b'\x1b[31mev|l\n\xc2\x9b\xffe\xc3\xa9', j['name']
" "$T/out" "$f" || fail "json text"
# mem's md names the file in its heading
run "$QB" mem -m "$f" --no-dry-run
expect_rc 0 "mem"
noesc "$T/out" "mem md"
expect_out_has '## a|b\x1b[1m\nc.gguf'
# messages that echo a path are one line
run "$QB" info $'no\e]0;title\a\nsuch.gguf'
expect_rc 3 "missing"
expect_err "quantbench: error: cannot open 'no\x1b]0;title\x07\nsuch.gguf': No such file or directory"
run "$QB" info $'\xff\xfe.gguf' -o xml
expect_rc 2 "usage"
expect_err "quantbench info: invalid output format 'xml' (md, json, jsonl); try 'quantbench info --help'"
run "$QB" info --frob$'\e[2J'
expect_rc 2 "unknown flag"
expect_err "quantbench info: unknown flag '--frob\x1b[2J'; try 'quantbench info --help'"
echo ok
