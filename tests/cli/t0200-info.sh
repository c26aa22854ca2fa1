# info reports what synth was asked for
. "$(dirname "$0")/lib.sh"
run "$QB" synth -o d.gguf --layers 3 --embd 256 --heads 8 --kv-heads 2 --ff 640 --ctx 1234 --seed 1
expect_rc 0
run "$QB" info d.gguf -o json
expect_rc 0
cp "$T/out" d.json
[ "$(json_get d.json "j['architecture'], j['n_layer'], j['n_embd'], j['n_head'], j['n_head_kv'], j['n_ff'], j['n_ctx_train'], j['head_size_k'], j['n_expert'], j['file_type'], j['n_vocab']")" = \
  "llama 3 256 8 2 640 1234 32 0 F16 32000" ] || { cat d.json; fail "dense facts"; }
# params: embeddings + output (2 x 256 x 32000) + per layer (q,o 256^2; k,v 256x64; 3 x 256x640; 2 norms) + norm
want=$((2*256*32000 + 3*(2*256*256 + 2*256*64 + 3*256*640 + 2*256) + 256))
[ "$(json_get d.json "j['n_params']")" = "$want" ] || fail "n_params $(json_get d.json "j['n_params']") != $want"
[ "$(json_get d.json "j['file_size']")" = "$(stat -c %s d.gguf)" ] || fail "file size"
[ "$(json_get d.json "sorted((t['type'], t['n_tensors']) for t in j['tensor_types'])")" = \
  "[('f16', 23), ('f32', 7)]" ] || fail "histogram $(json_get d.json "j['tensor_types']")"
# MoE and quantized
run "$QB" synth -o m.gguf --layers 2 --embd 256 --heads 4 --ff 256 --experts 8 --experts-used 2 --type Q8_0
expect_rc 0
run "$QB" info m.gguf -o json
expect_rc 0
cp "$T/out" m.json
[ "$(json_get m.json "j['n_expert'], j['n_expert_used'], j['file_type']")" = "8 2 Q8_0" ] || { cat m.json; fail "moe facts"; }
python3 -c "import json,sys; j=json.load(open('m.json')); b=j['bytes_per_param']; sys.exit(0 if 1.0 < b < 1.2 else 1)" || fail "Q8_0 bytes/param"
# the markdown form
run "$QB" info d.gguf
expect_rc 0
expect_out_has "| layers | 3 |"
expect_out_has "| kv heads | 2 |"
expect_out_has "| file type | F16 (1) |"
