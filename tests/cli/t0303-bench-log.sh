# llama.cpp's log is routed into ours: silent by default, load progress with -v,
# llama.cpp's own log with -v -v; stdout holds results only
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
run "$QB" bench -m "$m" -p 16 -n 0 -r 1 -t 1
expect_rc 0
[ ! -s "$T/err" ] || { cat "$T/err"; fail "stderr not empty on a clean run"; }
run "$QB" bench -m "$m" -p 16 -n 0 -r 1 -t 1 -v
expect_rc 0
expect_err_has "quantbench: loading '$m': 100%"
grep -q llama_model_loader "$T/err" && fail "-v shows llama.cpp's info log"
run "$QB" bench -m "$m" -p 16 -n 0 -r 1 -t 1 -v -v -o json
expect_rc 0
grep -q "llama_model_loader" "$T/err" || fail "-v -v does not show llama.cpp's log"
cp "$T/out" r.json
json_get r.json "len(j)" >/dev/null || fail "stdout is not clean JSON with -v -v"
