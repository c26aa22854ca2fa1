# prompts: SIGTERM or SIGINT while the code grader's child runs ends quantbench at once with
# the signal's status; the child dies with it and its temporary directory is removed
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sig.sh"
mkdir tmp
printf '%s\n' '{"id": "s", "category": "c", "prompt": "p", "grader": "code", "tests": "assert 1", "timeout_s": 60}' >set.jsonl
printf '%s\n' '{"id": "s", "answer": "```python\nimport time\ntime.sleep(60)\n```"}' >ans.jsonl
# the processes whose working directory is under tmp/ (the child's is its box)
in_tmp() {
    local p
    for p in /proc/[0-9]*; do
        case "$(readlink "$p/cwd" 2>/dev/null)" in "$T/tmp/"*) echo "${p#/proc/}" ;; esac
    done
}
for sig in TERM INT; do
    TMPDIR=$T/tmp bg "$QB" prompts --set set.jsonl --grade ans.jsonl
    wait_for 10 '[ -n "$(in_tmp)" ]'
    [ -n "$(ls tmp)" ] || fail "SIG$sig: no temporary directory while it runs"
    kill -$sig $bg_pid
    wait $bg_pid
    rc=$?
    want=$((128 + $(kill -l $sig)))
    [ $rc = $want ] || fail "SIG$sig: exit $rc, want $want"
    for i in $(seq 50); do [ -z "$(in_tmp)" ] && break; sleep 0.1; done
    [ -z "$(in_tmp)" ] || fail "SIG$sig: the child outlived quantbench: $(in_tmp)"
    [ -z "$(ls -A tmp)" ] || fail "SIG$sig: left in TMPDIR: $(ls -A tmp)"
done
echo ok
