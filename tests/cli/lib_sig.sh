# Helpers for the signal tests (t082x), sourced after lib.sh: a command in the background,
# waits with a deadline, the worker processes it has, the database it leaves.
# Job control on: without it a script's '&' starts the job with SIGINT ignored, and
# quantbench (as a shell would) leaves an ignored SIGINT ignored.
set -m

# bg CMD...: start it in the background; $bg_pid; stdout in $T/out, stderr in $T/err
bg() {
    rm -f "$T/out" "$T/err"
    "$@" >"$T/out" 2>"$T/err" &
    bg_pid=$!
}

# wait_for SECONDS CONDITION: poll the shell condition every 0.1 s
wait_for() {
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        eval "$2" && return 0
        kill -0 "$bg_pid" 2>/dev/null || { cat "$T/err" >&2; fail "exited while waiting for: $2"; }
        sleep 0.1
    done
    cat "$T/err" >&2
    fail "timed out waiting for: $2"
}

# sql DB QUERY: the first column of the first row (read-only; "" when there is none yet)
sql() {
    python3 -c "
import sqlite3, sys
try:
    c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
    r = c.execute(sys.argv[2]).fetchone()
    print('' if r is None else r[0])
except sqlite3.Error:
    print('')" "$1" "$2"
}

# the processes whose parent is $bg_pid (its workers), one pid a line
children() { awk -v p="$bg_pid" '$4 == p { print $1 }' /proc/[0-9]*/stat 2>/dev/null; }

# stop_with SIGNAL: send it to $bg_pid, wait for the exit; $rc
stop_with() {
    kill -"$1" "$bg_pid"
    wait "$bg_pid"
    rc=$?
}

# expect_gone PIDS: none of them is a live process (a zombie is dead too)
expect_gone() {
    local p
    for p in $1; do
        if [ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then
            fail "worker $p is still running"
        fi
    done
}

# expect_db_ok DB: the file is consistent
expect_db_ok() {
    [ "$(sql "$1" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check of $1"
}

# a failing test leaves no command behind (its workers die with it)
trap 'for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done' EXIT
