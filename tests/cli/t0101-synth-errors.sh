# synth rejects nonsense before writing anything
. "$(dirname "$0")/lib.sh"
run "$QB" synth --layers 2
expect_rc 2
expect_err "quantbench synth: missing -o FILE; try 'quantbench synth --help'"
run "$QB" synth -o x.gguf --layers 0
expect_rc 2
expect_err "quantbench synth: invalid value '0' for --layers (expected an integer in 1..1024); try 'quantbench synth --help'"
run "$QB" synth -o x.gguf --embd 100 --heads 3
expect_rc 2
expect_err "quantbench synth: --embd 100 is not a multiple of --heads 3; try 'quantbench synth --help'"
run "$QB" synth -o x.gguf --type Q9_Z
expect_rc 2
expect_err "quantbench synth: unknown type 'Q9_Z' (F32, F16, BF16, Q8_0, Q4_K_M, ...); try 'quantbench synth --help'"
run "$QB" synth -o x.gguf --experts 2 --experts-used 3
expect_rc 2
run "$QB" synth -o x.gguf --vocab /nonexistent/vocab.gguf
expect_rc 1
expect_err "quantbench: error: cannot open '/nonexistent/vocab.gguf': No such file or directory"
run "$QB" synth -o /nonexistent-dir/x.gguf --layers 1 --embd 64 --heads 2
expect_rc 1
[ ! -e x.gguf ] || fail "x.gguf was written"
