# run: two runs of one suite on one database at once measure each cell once between them
# (a cell one is measuring is claimed: the other does the rest and comes back to it), and
# both end with every cell stored
. "$(dirname "$0")/lib.sh"
a=$(model_dense)
b=$(model_moe)
cat >s.json <<JSON
{"models": ["$a", "$b"], "settings": {"t": 1},
 "tests": [{"test": "bench", "p": 64, "n": 16, "r": 2}, {"test": "mem", "c": 256},
           {"test": "quality", "file": "text.txt", "c": 128, "chunks": 2}]}
JSON
head -c 20000 /usr/share/common-licenses/GPL-3 >text.txt
export QB_DB=$T/q.db
"$QB" run s.json --no-progress >one.out 2>one.err &
p1=$!
"$QB" run s.json --no-progress >two.out 2>two.err &
p2=$!
wait "$p1"; r1=$?
wait "$p2"; r2=$?
[ "$r1" = 0 ] && [ "$r2" = 0 ] || { cat one.err two.err; fail "exits $r1 $r2"; }
q() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchall())" "$QB_DB" "$1"; }
[ "$(q 'select count(*) from cells')" = "[(8,)]" ] || fail "8 cells: $(q 'select key, run_id, test from cells')"
[ "$(q 'select count(*) from (select key from cells group by key having count(*) > 1)')" = "[(0,)]" ] ||
    fail "a cell measured twice"
[ "$(q 'select count(*) from claims')" = "[(0,)]" ] || fail "claims left: $(q 'select * from claims')"
# each printed the whole table
for f in one.out two.out; do
    [ "$(grep -cE '^\| (dense|moe)\.gguf' $f)" = 2 ] || { cat $f; fail "$f: the table"; }
done
exit 0
