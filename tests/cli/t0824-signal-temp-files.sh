# a command with nothing to unwind (synth, report, compare, import, info) ends at SIGTERM /
# SIGINT at once, with the signal's own status, and leaves no temporary file behind
. "$(dirname "$0")/lib.sh"
set -m # job control: a background job without it has SIGINT ignored (see lib_sig.sh)
for sig in TERM INT; do
    rm -f big.gguf*
    # a quantized synth writes an F32 file first, then quantizes it: seconds of work
    "$QB" synth -o big.gguf --layers 8 --embd 1024 --heads 8 --ff 4096 --type Q8_0 2>err &
    pid=$!
    for _ in $(seq 1 200); do ls big.gguf.*tmp* >/dev/null 2>&1 && break; sleep 0.02; done
    ls big.gguf.*tmp* >/dev/null 2>&1 || fail "synth wrote no temporary file to interrupt"
    kill -$sig $pid
    wait $pid
    rc=$?
    want=$([ $sig = TERM ] && echo 143 || echo 130)
    [ $rc -eq $want ] || { cat err >&2; fail "synth after SIG$sig: exit $rc, want $want"; }
    ls big.gguf* 2>/dev/null && fail "SIG$sig left files behind: $(ls big.gguf*)"
done
echo ok
