# the same flags and seed give byte-identical files; another seed does not
. "$(dirname "$0")/lib.sh"
run "$QB" synth -o a.gguf --layers 2 --embd 128 --heads 2 --ff 256 --seed 3
expect_rc 0
run "$QB" synth -o b.gguf --layers 2 --embd 128 --heads 2 --ff 256 --seed 3
expect_rc 0
cmp a.gguf b.gguf || fail "same seed, different bytes"
run "$QB" synth -o c.gguf --layers 2 --embd 128 --heads 2 --ff 256 --seed 4
cmp -s a.gguf c.gguf && fail "different seed, same bytes"
# MoE and a quantized type are deterministic too
for i in 1 2; do
    run "$QB" synth -o moe$i.gguf --layers 1 --embd 256 --heads 4 --ff 256 --experts 4 \
        --experts-used 2 --type Q4_K_M --seed 5
    expect_rc 0 "quantized moe synth"
done
cmp moe1.gguf moe2.gguf || fail "quantized MoE not deterministic"
# no temporary files are left behind
[ -z "$(ls | grep tmp)" ] || fail "temporary files left: $(ls)"
