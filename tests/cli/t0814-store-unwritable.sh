# results database: a --db (or $QB_DB) location that cannot be written is a one-line error
# and exit 1 before any work starts (no model loaded, nothing measured, no file made), for
# every command that stores rows; --no-db still measures
data=$(cd "$(dirname "$0")/../data" && pwd)
. "$(dirname "$0")/lib.sh"
m=$(model_dense)

nowhere() { # DB-PATH MESSAGE CMD...
    local db=$1 want=$2
    shift 2
    run "$@" --db "$db"
    expect_rc 1 "$* --db $db"
    expect_err "quantbench: error: $want"
    [ ! -s "$T/out" ] || fail "$1 measured without a database"
}
want="cannot create database '/nonexistent-dir/x.db': no directory '/nonexistent-dir'"
nowhere /nonexistent-dir/x.db "$want" "$QB" bench -m "$m" -p 8 -n 0 -r 1
nowhere /nonexistent-dir/x.db "$want" "$QB" sweep -m "$m" -c 256 -ub 64 -n 4
nowhere /nonexistent-dir/x.db "$want" "$QB" batched -m "$m" -c 256 -npp 8 -ntg 2 -npl 1
nowhere /nonexistent-dir/x.db "$want" "$QB" ctxmax -m "$m" --max 1024
nowhere /nonexistent-dir/x.db "$want" "$QB" import "$data/sweep-bench.jsonl"
QB_DB=/nonexistent-dir/x.db run "$QB" bench -m "$m" -p 8 -n 0 -r 1
expect_rc 1 "QB_DB"
expect_err "quantbench: error: $want"
[ ! -s "$T/out" ] || fail "measured with QB_DB nowhere"
touch plainfile
nowhere plainfile/x.db "cannot create database 'plainfile/x.db': no directory 'plainfile'" \
    "$QB" bench -m "$m" -p 8 -n 0 -r 1
# before any model is loaded: a model that is not there is not even looked at
nowhere /nonexistent-dir/x.db "$want" "$QB" bench -m missing.gguf -p 8 -n 0 -r 1

# a directory that cannot be written (read-only bind mount as root, chmod otherwise)
mkdir locked
if [ "$(id -u)" != 0 ]; then
    chmod a-w locked
    run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db locked/x.db
    chmod u+w locked
    why="Permission denied"
elif unshare -m sh -c 'mount --bind locked locked && mount -o remount,bind,ro locked locked' 2>/dev/null; then
    run unshare -m sh -c 'mount --bind locked locked && mount -o remount,bind,ro locked locked &&
        exec "$@"' sh "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db locked/x.db
    why="Read-only file system"
else
    echo "skipped: the read-only directory (root without mount namespaces)"
    rc=1 why=skip
    echo "quantbench: error: cannot create database 'locked/x.db': skip" >"$T/err"
fi
expect_rc 1 "read-only directory"
expect_err "quantbench: error: cannot create database 'locked/x.db': $why"
[ -z "$(ls -A locked)" ] || fail "a file was left in the read-only directory"

# --no-db ignores the location
run "$QB" bench -m "$m" -p 8 -n 0 -r 1 --db /nonexistent-dir/x.db --no-db
expect_rc 0 "--no-db"
expect_out_has "pp8"
echo ok
