# an -ot pattern that is not a regex is a usage error before anything runs (exit 2, as mem
# says it), in bench and in every command that takes -ot; the starting commit let the
# worker's model load fail on it (exit 1, a load_failed row)
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
chk() { # command pattern args...
    local cmd=$1 pat=$2; shift 2
    run "$QB" "$cmd" "$@"
    expect_rc 2 "$cmd $*"
    expect_err "quantbench $cmd: tensor override pattern '$pat' is not a valid regex; try 'quantbench $cmd --help'"
    [ ! -s "$T/out" ] || fail "output written for: $cmd $*"
}
chk bench 'blk\.(' -m "$m" -p 8 -n 0 -r 1 -ot 'blk\.(=CPU'
chk bench 'ffn_[up=x' -m "$m" -p 8 -n 0 -r 1 -ot 'exps=CPU;ffn_[up=x=CPU'
chk bench '*x' -m "$m" -p 8 -n 0 -r 1 -ot 'none,exps=CPU,*x=CPU'
chk sweep 'blk\.(' -m "$m" -c 256 -ub 64 -ot 'blk\.(=CPU'
chk batched 'a{2' -m "$m" -npp 8 -ntg 2 -ot 'a{2=CPU'
chk ctxmax 'blk\.(' -m "$m" -ot 'blk\.(=CPU'
chk quality 'blk\.(' -m "$m" -f "$m" -ot 'blk\.(=CPU'
chk mem 'blk\.(' -m "$m" -ot 'blk\.(=CPU'
[ ! -e quantbench.db ] || fail "a run was stored"
# the patterns people write (\., \d, alternatives, .*) still run
run "$QB" bench -m "$m" -p 8 -n 0 -r 1 -t 1 --no-db -ot 'blk\.\d\.ffn_(up|down)=CPU;token_.*=CPU'
expect_rc 0 "valid patterns"
expect_out_has '| blk\.\d\.ffn_(up\|down)=CPU;token_.*=CPU |'
echo ok
