# errors carry a kind from where they arise to the exit code and the row's status, never
# read from the message: a worker out of memory (an engine allocation, a std::bad_alloc)
# is status oom in bench and sweep; a text too short is an input error (exit 3) in quality
# and quantize --imatrix-from; a model llama.cpp refuses is a runtime failure (exit 1)
# even when its file name reads like another kind of error ("cannot open")
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sig.sh"
m=$(model_dense)
cp "$m" oomy.gguf
fault="test fault 'oom' injected: out of memory"

QB_TEST_FAULT=oom:oomy run "$QB" bench -m oomy.gguf -p 16 -n 0 -r 1 -t 1 -o json --db k.db
expect_rc 1 "bench oom"
expect_err "quantbench: error: 'oomy.gguf' pp16 t=1: oom: $fault"
[ "$(json_get "$T/out" "j[0]['status'] + ' / ' + j[0]['error']")" = "oom / $fault" ] ||
    fail "row: $(cat "$T/out")"
[ "$(sql k.db "SELECT status || ' / ' || reason FROM results")" = "oom / $fault" ] ||
    fail "stored: $(sql k.db "SELECT status || ' / ' || reason FROM results")"

QB_TEST_FAULT=oom:oomy run "$QB" sweep -m oomy.gguf -c 256 -ub 64 -t 1 -o jsonl --no-db
expect_rc 1 "sweep oom"
expect_err "quantbench: error: sweep of 'oomy.gguf': oom: $fault"
grep -q '"status":"oom"' "$T/out" || fail "sweep status: $(cat "$T/out")"

# the C++ runtime's last words in a dead worker's stderr
QB_TEST_FAULT=badalloc:oomy run "$QB" bench -m oomy.gguf -p 16 -n 0 -r 1 -t 1 -o json --no-db
expect_rc 1 "bench bad_alloc"
expect_err "quantbench: error: 'oomy.gguf' pp16 t=1: oom: worker killed by signal 6 (SIGABRT), out of memory; its last words:   what():  std::bad_alloc"
[ "$(json_get "$T/out" "j[0]['status']")" = oom ] || fail "bad_alloc row: $(cat "$T/out")"

# quality: the worker's kind gives the exit code
QB_TEST_FAULT=oom:oomy run "$QB" quality -m oomy.gguf -f /usr/share/common-licenses/GPL-3 -c 128 --chunks 2 -t 1 --no-db
expect_rc 1 "quality oom"
expect_err "quantbench: error: 'oomy.gguf': $fault"
printf 'hello world\n' >short.txt
run "$QB" quality -m "$m" -f short.txt -c 128 -t 1 --no-db
expect_rc 3 "quality short text"
expect_err "quantbench: error: 'short.txt': the text tokenizes to 4 tokens; perplexity with -c 128 needs at least 256 (two chunks)"

# a model llama.cpp cannot load, named like an input error: still a runtime failure
python3 - "$m" <<'PY' || fail "patch"
import sys
a = bytearray(open(sys.argv[1], 'rb').read())
i = a.find(b'general.architecture') + len(b'general.architecture')
assert a[i + 12:i + 17] == b'llama', a[i:i + 20]
a[i + 12:i + 17] = b'xyzzy'
open('cannot open.gguf', 'wb').write(a)
PY
cause="llama.cpp failed to load model 'cannot open.gguf': unknown model architecture: 'xyzzy'"
run "$QB" quality -m "cannot open.gguf" -f /usr/share/common-licenses/GPL-3 -c 128 -t 1 --no-db
expect_rc 1 "quality load failure"
expect_err "quantbench: error: 'cannot open.gguf': $cause"
run "$QB" quantize -m "cannot open.gguf" --types Q8_0 -o ladder --imatrix-from short.txt -t 1 --no-db
expect_rc 1 "imatrix load failure"
expect_err "quantbench: error: $cause"
run "$QB" quantize -m "$m" --types Q8_0 -o ladder --imatrix-from short.txt -c 128 -t 1 --no-db
expect_rc 3 "imatrix short text"
expect_err "quantbench: error: 'short.txt': the text tokenizes to 4 tokens; perplexity with -c 128 needs at least 256 (two chunks)"
exit 0
