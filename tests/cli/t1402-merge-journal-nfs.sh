# a database on a network filesystem keeps a rollback journal, not WAL (whose shared
# memory needs every user on one host), and says so once on stderr: a new one made by a
# measuring command, by import and by merge, and an existing WAL one opened there
# ($QB_TEST_FSTYPE stands for statfs's answer); a local one stays in WAL mode
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
q() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchall())" "$@"; }
cp "$QB_SRC/tests/data/golden/import/ours-bench-jsonl/bench.jsonl" a.jsonl
note() { # db fstype
    echo "quantbench: warning: database '$1' is on a network filesystem ($2): it keeps a rollback journal (journal_mode DELETE), since SQLite's WAL needs every user on one host"
}

run env QB_TEST_FSTYPE=nfs "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db nfs.db -o json
expect_rc 0 "bench on nfs"
[ "$(grep -c 'network filesystem' "$T/err")" = 1 ] || { cat "$T/err"; fail "said once"; }
expect_err_has "$(note nfs.db nfs)"
[ "$(q nfs.db 'PRAGMA journal_mode')" = "[('delete',)]" ] || fail "nfs.db: $(q nfs.db 'PRAGMA journal_mode')"
[ ! -e nfs.db-wal ] || fail "nfs.db has a -wal"
[ "$(q nfs.db 'select count(*) from results')" = "[(1,)]" ] || fail "nfs.db rows"

run env QB_TEST_FSTYPE=lustre "$QB" import --db lustre.db a.jsonl
expect_rc 0 "import on lustre"
expect_err_has "$(note lustre.db lustre)"
[ "$(q lustre.db 'PRAGMA journal_mode')" = "[('delete',)]" ] || fail "lustre.db journal"

run env QB_TEST_FSTYPE=beegfs "$QB" merge lustre.db nfs.db -o merged.db
expect_rc 0 "merge on beegfs"
expect_err_has "$(note merged.db beegfs)"
[ "$(q merged.db 'PRAGMA journal_mode')" = "[('delete',)]" ] || fail "merged.db journal"
[ "$(q merged.db 'select count(*) from results')" = "[(5,)]" ] || fail "merged rows"

# local: WAL as always; the same WAL database opened on a network filesystem is switched
run env QB_TEST_FSTYPE=local "$QB" import --db local.db a.jsonl
expect_rc 0 "local"
grep -q 'network filesystem' "$T/err" && fail "a note on a local filesystem"
[ "$(q local.db 'PRAGMA journal_mode')" = "[('wal',)]" ] || fail "local.db journal"
run env QB_TEST_FSTYPE=cifs "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db local.db -o json
expect_rc 0 "the local one on cifs"
expect_err_has "$(note local.db cifs)"
[ "$(q local.db 'PRAGMA journal_mode')" = "[('delete',)]" ] || fail "local.db on cifs journal"
[ "$(q local.db 'select count(*) from results')" = "[(5,)]" ] || fail "local.db rows"
# and this machine's own filesystem (no override) is what statfs says: /tmp is local here
run "$QB" import --db plain.db a.jsonl
grep -q 'network filesystem' "$T/err" && { stat -f -c %T . ; fail "a note on this filesystem"; }
[ "$(q plain.db 'PRAGMA journal_mode')" = "[('wal',)]" ] || fail "plain.db journal"
exit 0
