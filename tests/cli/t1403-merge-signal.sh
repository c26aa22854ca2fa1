# merge: SIGINT or SIGTERM in the middle of a merge leaves OUT as it was (an existing one
# byte-for-byte, a new one not made, no temporary file left), exit 130 / 143; merged
# again without a signal it completes
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sig.sh"
cp "$QB_SRC/tests/data/golden/import/ours-bench-jsonl/bench.jsonl" a.jsonl
"$QB" import --db big.db a.jsonl >/dev/null 2>&1 || fail "setup: import"
"$QB" import --db out.db --label before a.jsonl >/dev/null 2>&1 || fail "setup: out"
# 20000 rows more in its run: a merge of a few seconds
python3 - <<'PY'
import sqlite3, json
c = sqlite3.connect('big.db')
cols = [r[1] for r in c.execute("pragma table_info(results)") if r[1] != 'id']
row = c.execute("select %s from results limit 1" % ",".join(cols)).fetchone()
ri = cols.index('row')
rows = []
for i in range(20000):
    r = list(row)
    j = json.loads(r[ri]); j['seq'] = i; r[ri] = json.dumps(j)
    rows.append(r)
c.executemany("insert into results(%s) values(%s)" % (",".join(cols), ",".join("?" * len(cols))), rows)
c.commit()
PY
sum=$(sha256sum out.db)
stop() { # SIGNAL OUT WAL: the merge stopped by SIGNAL once its transaction wrote to WAL
    bg "$QB" merge big.db -o "$2"
    wait_for 60 "ls $3 >/dev/null 2>&1 && [ -s \"\$(ls $3 | head -1)\" ]"
    kill -s "$1" "$bg_pid"
    wait "$bg_pid"
    rc=$?
    cp "$T/err" sig.err
}
stop INT out.db out.db-wal
[ "$rc" = 130 ] || { cat sig.err; fail "SIGINT: exit $rc"; }
grep -qF "interrupted by SIGINT: nothing merged, 'out.db' is as it was" sig.err || { cat sig.err; fail "SIGINT message"; }
[ "$(sha256sum out.db)" = "$sum" ] || fail "out.db changed"
[ ! -s out.db-wal ] || python3 -c "import sqlite3; c=sqlite3.connect('out.db'); assert c.execute('select count(*) from results').fetchone()[0] == 4" || fail "rows in out.db's -wal"
stop TERM new.db "new.db.merge-*.tmp-wal"
[ "$rc" = 143 ] || { cat sig.err; fail "SIGTERM: exit $rc"; }
[ ! -e new.db ] || fail "new.db made"
ls new.db* 2>/dev/null && fail "files beside new.db"
run "$QB" merge big.db -o out.db
expect_rc 0 "the merge again"
expect_out_has "big.db: added 1 run, 0 cells, 20004 rows"
exit 0
