# results database on a full disk (simulated with RLIMIT_FSIZE, SIGXFSZ ignored: writes past
# the limit fail with EFBIG as they would with ENOSPC): the row that cannot be stored stops
# the run with exit 1 and one message, every earlier row is kept, the run is not left 'ok';
# afterwards the file, whose main part alone is now inconsistent (the checkpoint into it
# failed; SQLite reads it whole with its -wal), is accepted, not refused as corrupt
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
q() { sqlite3 -batch -noheader "$1" "$2"; }
# what SQLite reads (main + -wal), through a copy so the files under test stay as they are
qw() {
    rm -rf qw && mkdir qw && cp "$1" qw/db && { [ ! -e "$1-wal" ] || cp "$1-wal" qw/db-wal; } &&
        sqlite3 -batch -noheader qw/db "$2"
}

run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db full.db --label before
expect_rc 0 "setup bench"
[ ! -e full.db-wal ] || fail "setup: a -wal after a clean close"
size=$(stat -c %s full.db)
lim=$((size / 1024 + 8)) # KiB: the -wal fills after a row or two, main cannot grow much
(
    trap '' XFSZ
    ulimit -f "$lim"
    QB_DB_BUSY_MS=200 exec "$QB" bench -m "$m" -p 8 -n 0 -t 1,2,3,4,5,6,7,8 -r 1 --db full.db \
        --label full >"$T/out" 2>"$T/err"
)
rc=$?
expect_rc 1 "bench on a full disk"
sed -E 's/after [0-9.]+ s of retries/after X s of retries/' "$T/err" >err.norm
head -1 err.norm | grep -qxF "quantbench: error: a bench row could not be stored: database 'full.db': disk I/O error (after X s of retries); stopping" ||
    { cat "$T/err" >&2; fail "message"; }
# stopped: no test ran after the one whose row failed, every row before it is stored
shown=$(grep -c '^| llama' "$T/out")
stored=$(qw full.db "SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id WHERE u.label = 'full'")
[ "$shown" -lt 8 ] || fail "the run went on after a row could not be stored ($shown rows)"
[ "$stored" = $((shown - 1)) ] || fail "rows lost: $shown shown, $stored stored"
[ "$(qw full.db 'PRAGMA integrity_check')" = ok ] || fail "integrity after the full disk"
[ "$(qw full.db "SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id WHERE u.label = 'before'")" = 1 ] ||
    fail "the earlier run's row"
status=$(qw full.db "SELECT status FROM runs WHERE label = 'full'")
if [ "$status" = failed ]; then
    [ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err" >&2; fail "more than one line"; }
    qw full.db "SELECT reason FROM runs WHERE label = 'full'" |
        sed -E 's/after [0-9.]+ s of retries/after X s of retries/' |
        grep -qxF "a bench row could not be stored: database 'full.db': disk I/O error (after X s of retries)" ||
        fail "the failed run's reason"
else
    # not even the end of the run fitted: it stays 'running' (never 'ok') and says so
    [ "$status" = running ] || fail "run status '$status' after a row was lost"
    sed -n 2p err.norm | grep -q "^quantbench: error: the run could not be marked failed either: " ||
        fail "no word that the run could not be marked failed"
fi

# the checkpoint into the main file failed too: alone it is inconsistent, with its -wal
# it is whole; it must be taken as it is, not refused as corrupt
if [ -s full.db-wal ]; then
    q 'file:full.db?mode=ro&immutable=1' 'PRAGMA quick_check' >main-only 2>&1
    [ "$(cat main-only)" != ok ] || echo "note: the main file alone is consistent this time"
fi
run "$QB" report --db full.db -o json
expect_rc 0 "report after the full disk"
[ "$(json_get "$T/out" 'len(j)')" = $((stored + 1)) ] || fail "report rows"
run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db full.db --label after
expect_rc 0 "bench after the full disk"
[ ! -s "$T/err" ] || { cat "$T/err" >&2; fail "stderr after the full disk"; }
[ "$(q full.db 'PRAGMA integrity_check')" = ok ] || fail "integrity at the end"
[ "$(q full.db 'SELECT count(*) FROM results')" = $((stored + 2)) ] || fail "rows at the end"

# a full disk as soon as the database is opened (its -shm cannot even be sized): exit 1,
# one line, before any model is loaded
rm -f tiny.db*
cp full.db tiny.db
(
    trap '' XFSZ
    ulimit -f 8
    QB_DB_BUSY_MS=200 exec "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db tiny.db >"$T/out" 2>"$T/err"
)
rc=$?
expect_rc 1 "bench, no room at all"
[ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err" >&2; fail "not one line"; }
grep -q "^quantbench: error: database 'tiny.db': disk I/O error" "$T/err" || { cat "$T/err" >&2; fail "message"; }
[ ! -s "$T/out" ] || fail "measured without a database"
[ "$(q tiny.db 'PRAGMA integrity_check')" = ok ] || fail "tiny.db integrity"
echo ok
