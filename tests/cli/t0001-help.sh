# quantbench --help lists the commands; every command documents its flags and exit codes
. "$(dirname "$0")/lib.sh"
run "$QB" --help
expect_rc 0
for c in bench sweep batched load pull info synth version; do
    expect_out_has "  $c "
done
for c in bench sweep batched load pull info synth version; do
    run "$QB" $c --help
    expect_rc 0 "$c --help"
    expect_out_has "usage: quantbench $c"
    expect_out_has "Exit codes:"
    expect_out_has "  3  input error"
done
run "$QB" frobnicate
expect_rc 2
expect_err "quantbench: unknown command 'frobnicate'; try 'quantbench --help'"
run "$QB"
expect_rc 2
