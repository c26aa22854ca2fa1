# results database: every refusal (not SQLite, corrupt, another application's, newer, not
# a regular file) is exactly one stderr line naming the file and what is wrong, exit 3,
# from every command that opens it; a corrupt file's report from SQLite (many lines) is
# cut to its first problem; control characters in a path do not break the line
data=$(cd "$(dirname "$0")/../data" && pwd)
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
cp "$data/sweep-bench.jsonl" sb.jsonl
q() { sqlite3 -batch -noheader "$1" "$2"; }

# one_line FILE REGEX: bench, import, report, compare: exit 3, one line matching REGEX
one_line() {
    local f=$1 re=$2 sum
    sum=$(sha256sum "$f" 2>/dev/null)
    for cmd in bench import report compare; do
        case $cmd in
        bench) run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db "$f" ;;
        import) run "$QB" import sb.jsonl --db "$f" ;;
        report) run "$QB" report --db "$f" ;;
        compare) run "$QB" compare 1 2 --db "$f" ;;
        esac
        expect_rc 3 "$cmd on $f"
        [ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err" >&2; fail "$cmd on $f: not one line"; }
        grep -qxE -- "$re" "$T/err" || { cat "$T/err" >&2; fail "$cmd on $f: message"; }
        [ ! -s "$T/out" ] || fail "$cmd on $f wrote results"
    done
    [ "$(sha256sum "$f" 2>/dev/null)" = "$sum" ] || fail "$f changed"
}

printf 'hello, not a database\n' >text.db
one_line text.db "quantbench: error: 'text\.db' is not a SQLite database \(left untouched\)"

q foreign.db 'CREATE TABLE t(x); INSERT INTO t VALUES (1)'
one_line foreign.db "quantbench: error: 'foreign\.db' is not a quantbench database \(an SQLite file of another application; left untouched\)"

run "$QB" import sb.jsonl --db good.db
expect_rc 0 "import"
cp good.db newer.db
q newer.db 'PRAGMA user_version = 7'
one_line newer.db "quantbench: error: database 'newer\.db' has schema version 7, newer than this quantbench knows \(4\); left untouched"

# damaged in the middle of its pages: SQLite's quick_check reports many problems
for i in 1 2 3 4 5 6; do "$QB" import sb.jsonl --db corrupt.db >/dev/null || fail "import $i"; done
python3 - corrupt.db <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
for i in range(4096 + 8, len(b), 61):
    b[i] ^= 0x5a
open(p, 'wb').write(bytes(b))
PY
[ "$(q corrupt.db 'PRAGMA quick_check' 2>&1 | wc -l)" -gt 1 ] || fail "setup: quick_check reports one line"
one_line corrupt.db "quantbench: error: database 'corrupt\.db' is corrupt: [^*]+ \(left untouched\)"

# the first page damaged: SQLite cannot even read the schema
cp good.db header.db
python3 - header.db <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
for i in range(100, 4096):
    b[i] = 0xff
open(p, 'wb').write(bytes(b))
PY
one_line header.db "quantbench: error: database 'header\.db' is corrupt: [^*]+ \(left untouched\)"

mkdir dir.db
one_line dir.db "quantbench: error: database 'dir\.db' is not a regular file"

# a newline in the name is shown as '?'
printf 'not sqlite either\n' >$'two\nlines.db'
one_line $'two\nlines.db' "quantbench: error: 'two\?lines\.db' is not a SQLite database \(left untouched\)"
echo ok
