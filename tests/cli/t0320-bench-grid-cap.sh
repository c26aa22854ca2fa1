# a grid whose product is astronomic is refused up front (exit 2, naming the count and the
# cap) instead of being built: each list is counted before it is expanded, the product of
# the list sizes before the grid exists; bench, batched and sweep alike
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
# timeout: the starting commit built these grids for minutes (6.4 GB after 30 s) or ran them
chk() { # command expected-message args...
    local cmd=$1 want=$2; shift 2
    run timeout 20 "$QB" "$cmd" "$@"
    expect_rc 2 "$cmd $*"
    expect_err "quantbench $cmd: $want; try 'quantbench $cmd --help'"
    [ ! -s "$T/out" ] || fail "output written for: $cmd $*"
}
cap="more than the cap of 100000"
chk bench "the grid -p/-n/-pg 100001 x -b 100000 has 10000100000 tests, $cap" \
    -m "$m" -p 1-100000 -b 1-100000
chk bench "the grid -p/-n/-pg 1000 x -b 1000 has 1000000 tests, $cap" -m "$m" -p 1-1000 -n 0 -b 1-1000
chk bench "the grid -p/-n/-pg 100000 x -d 100000 x -t 4096 x -b 100000 x -ub 100000 has 4.1e+23 tests, $cap" \
    -m "$m" -p 1-100000 -n 0 -d 1-100000 -t 1-4096 -b 1-100000 -ub 1-100000
# string lists and the model list count too
chk bench "the grid -m 400 x -p/-n/-pg 2 x -t 200 has 160000 tests, $cap" \
    -m "$(printf "$m,%.0s" $(seq 400))" -p 8 -n 2 -t 1-200
chk bench "the grid -p/-n/-pg 2 x -t 100 x -ot 200 x -ctk 2 x -ctv 2 has 160000 tests, $cap" \
    -m "$m" -p 8 -n 2 -t 1-100 -ctk f16,q8_0 -ctv f16,q8_0 -ot "$(printf 'x=CPU,%.0s' $(seq 200))"
# one list: its size is known before anything is expanded (no 16M-entry allocation first)
chk bench "range '1-16777216' for -p expands to more than 100000 values" -m "$m" -p 1-16777216
chk bench "too many values for -p (at most 100000)" -m "$m" -p 1-60000 -p 1-60000
# batched: -npp x -ntg x -npl
chk batched "the grid -npp 1000 x -ntg 1000 has 1000000 tests, $cap" -m "$m" -npp 1-1000 -ntg 1-1000
chk batched "the grid -npp 100 x -ntg 100 x -npl 256 has 2560000 tests, $cap" \
    -m "$m" -npp 1-100 -ntg 1-100 -npl 1-256
# sweep: every timed depth is a row
chk sweep "-c 16777216 / -ub 1 makes 16777216 depths, $cap" -m "$m" -c 16777216 -b 1 -ub 1
chk sweep "-c 16777216 / -ub 1 / --stride 2 makes 8388608 depths, $cap" \
    -m "$m" -c 16777216 -b 1 -ub 1 --stride 2
# at the cap the grid is accepted: the next check (the model) is what fails
run timeout 20 "$QB" bench -m missing.gguf -p 1-99999 -n 1
expect_rc 3 "100000 tests"
expect_err "quantbench: error: cannot open 'missing.gguf': No such file or directory"
run timeout 20 "$QB" batched -m missing.gguf -npp 1-1000 -ntg 1-100
expect_rc 3 "batched 100000 tests"
run timeout 20 "$QB" sweep -m missing.gguf -c 100000 -b 1 -ub 1
expect_rc 3 "sweep 100000 depths"
echo ok
