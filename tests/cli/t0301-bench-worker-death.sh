# a worker that dies is reported with its cause; the parent goes on with the next item
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
cp "$m" crashme.gguf
cp "$m" fine.gguf
QB_TEST_FAULT=segv:crashme run "$QB" bench -m "$m,crashme.gguf,fine.gguf" -p 16 -n 0 -r 1 -t 1 -o json
expect_rc 4
cp "$T/out" r.json
[ "$(json_get r.json "[r['status'] for r in j]")" = "['ok', 'crashed', 'ok']" ] || { cat r.json; fail "statuses"; }
json_get r.json "j[1]['error']" | grep -qF "worker killed by signal 11 (SIGSEGV); its last words: test fault 'segv' injected" || fail "cause: $(json_get r.json "j[1]['error']")"
expect_err_has "quantbench: error: 'crashme.gguf' pp16 t=1: crashed: worker killed by signal 11 (SIGSEGV)"
# abort, and a hang cut by --timeout, the same way; a crash mid-group restarts the worker
QB_TEST_FAULT=abort:crashme run "$QB" bench -m crashme.gguf,fine.gguf -p 16 -n 0 -r 1 -t 1 -o jsonl
expect_rc 4
expect_err_has "killed by signal 6 (SIGABRT)"
[ "$(grep -c '"status":"ok"' "$T/out")" -eq 1 ] || fail "abort: next model did not run"
QB_TEST_FAULT=hang:crashme run "$QB" bench -m crashme.gguf,fine.gguf -p 16 -n 0 -r 1 -t 1 --timeout 2 -o jsonl
expect_rc 4
expect_err_has "timed out after 2 s"
grep -q '"status":"timeout"' "$T/out" || fail "timeout status"
# every row failing is exit 1
QB_TEST_FAULT=exit:crashme run "$QB" bench -m crashme.gguf -p 16 -n 0 -r 1 -t 1
expect_rc 1
expect_err_has "exited with status 3"
