# run --slurm's script without a cluster: written to DIR/job.sbatch and printed, its paths
# quoted so that bash reads them back exactly (spaces, quotes, $, %), the same script for
# the same suite; --shard K/N runs exactly its block of cells; every bad flag one line,
# exit 2; --submit without sbatch exit 1; nothing written to any database by --slurm.
. "$(dirname "$0")/lib.sh"
cp "$(model_dense)" a.gguf
cat >s.json <<'JSON'
{"name": "t", "models": ["a.gguf"], "settings": {"t": 1, "ngl": 0},
 "tests": [{"test": "bench", "p": 32, "n": 8, "pg": "32,8", "r": 1}, {"test": "mem", "c": 256}]}
JSON
# 4 cells: pp32 tg8 pp32+tg8 mem
export QB_DB=$T/q.db
o="$T/o 'q' \"d\" \$x %A"
run "$QB" run s.json --slurm --shards 3 -o "$o" --time 10 --sbatch-arg --mem=1G
expect_rc 0 "--slurm"
cmp -s "$T/out" "$o/job.sbatch" || fail "the printed script is not DIR/job.sbatch"
[ ! -e "$QB_DB" ] || fail "--slurm made a database"
expect_err_has "4 cells in 3 shards (no GPUs: every cell on the CPU)"
grep -qx '#SBATCH --array=0-2' "$T/out" || fail "array: $(grep array "$T/out")"
grep -qx '#SBATCH --time=10' "$T/out" || fail "time"
grep -qx '#SBATCH --mem=1G' "$T/out" || fail "sbatch-arg"
grep -q gpus "$T/out" && fail "GPUs for ngl 0"
# the shell reads back every path as it is
eval "$(grep -E '^(qb|suite|dir|n)=' "$T/out")"
[ "$dir" = "$o" ] || fail "dir read back as '$dir'"
[ "$suite" = "$T/s.json" ] && [ "$n" = 3 ] || fail "suite '$suite' n '$n'"
[ "$qb" = "$(realpath "$QB")" ] || fail "qb '$qb'"
bash -n "$o/job.sbatch" || fail "the script is not valid bash"
# the output pattern: the quotes escaped for sbatch, % as %%
grep -qF "#SBATCH --output=\"$T/o 'q' \\\"d\\\" \$x %%A/logs/%A_%a.out\"" "$T/out" || fail "output: $(grep output "$T/out")"
# the same again: the same script (deterministic)
cp "$o/job.sbatch" first.sbatch
run "$QB" run s.json --slurm --shards 3 -o "$o" --time 10 --sbatch-arg --mem=1G
cmp -s first.sbatch "$o/job.sbatch" || fail "a second --slurm wrote another script"
# GPUs from the settings, unless given
sed 's#"ngl": 0#"ngl": 99, "dev": "CUDA0/CUDA1"#' s.json >g.json
run "$QB" run g.json --slurm -o g
expect_rc 0 "gpus"
grep -qx '#SBATCH --gpus-per-task=2' "$T/out" || fail "2 devices: $(grep gpus "$T/out")"
grep -qx '#SBATCH --array=0-0' "$T/out" || fail "default shards: one per model x settings row"
run "$QB" run g.json --slurm -o g --gpus-per-task 0 --array-limit 1
grep -q gpus "$T/out" && fail "--gpus-per-task 0"

# --shard: its block of the cells, by index, stored with their suite index
run "$QB" run s.json --shard 1/3 --no-progress
expect_rc 0 "--shard 1/3"
expect_err_has "shard 1/3: cells 2-2 of 4"
q() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchall())" "$QB_DB" "$1"; }
[ "$(q 'select count(*) from suite_plan')" = "[(4,)]" ] || fail "shard 1/3: the whole plan: $(q 'select idx, test from suite_plan')"
[ "$(q 'select p.idx, c.test from cells c join suite_plan p on p.key = c.key')" = "[(1, 'tg8')]" ] ||
    fail "shard 1/3 ran: $(q 'select test from cells')"
expect_err_has "run: 1 cells: 1 run (1 ok, 0 failed), 0 reused (this shard's)"
run "$QB" run s.json --shard 0/3 --dry-run
expect_rc 0 "--shard --dry-run"
[ "$(grep -c "| another shard's |" "$T/out")" = 3 ] && grep -q '^| 1 | a.gguf | pp32 | .* | run |' "$T/out" ||
    fail "dry run of shard 0/3: $(cat "$T/out")"
run "$QB" run s.json --shard 2/3 --no-progress
expect_rc 0 "--shard 2/3"
[ "$(q 'select test from cells order by id')" = "[('tg8',), ('pp32+tg8',), ('mem',)]" ] || fail "shard 2/3: $(q 'select test from cells')"
run "$QB" run s.json --shard 7/9 --no-progress
expect_rc 0 "an empty shard"
expect_err_has "shard 7/9 of 4 cells holds none"

# bad flags: one line each, exit 2
bad() { # WANT ARGS...
    local want=$1
    shift
    run "$QB" run "$@"
    expect_rc 2 "$*"
    [ "$(err_text "$T/err" | wc -l)" = 1 ] || fail "not one line: $(cat "$T/err")"
    expect_err_has "$want"
}
bad "invalid value '4/4' for --shard (expected K/N, 0 <= K < N <= 100000)" s.json --shard 4/4
bad "invalid value 'x' for --shard" s.json --shard x
bad "invalid value '1/0' for --shard" s.json --shard 1/0
bad "'--shard' needs a value" s.json --shard
bad "--slurm needs -o DIR" s.json --slurm
bad "--slurm needs SUITE.json" --source a.gguf --slurm -o d
bad "--shard is not for --slurm" s.json --slurm -o d --shard 0/2
bad "--fresh is not for --slurm" s.json --slurm -o d --fresh
bad "'--partition' is for --slurm" s.json --partition gpu
bad "'--submit' is for --slurm" s.json --submit
bad "invalid value '0' for --shards" s.json --slurm -o d --shards 0
bad "--shards 5: the suite has 4 cells" s.json --slurm -o d --shards 5
bad "invalid value '1h' for --time" s.json --slurm -o d --time 1h
bad "invalid value 'a b' for --partition" s.json --slurm -o d --partition 'a b'
bad "--sbatch-arg '--array=1': the script sets --array itself" s.json --slurm -o d --sbatch-arg --array=1
bad "invalid value 'mem' for --sbatch-arg" s.json --slurm -o d --sbatch-arg mem
bad "has a backslash" s.json --slurm -o 'd\x'
bad "invalid value '-1' for --gpus-per-task" s.json --slurm -o d --gpus-per-task -1
# --submit without sbatch: one line, exit 1, the script kept for review
mkdir -p nobin && ln -sf "$(command -v bash)" nobin/bash
run env PATH="$T/nobin" "$(realpath "$QB")" run s.json --slurm -o sub --submit
expect_rc 1 "--submit without sbatch"
expect_err_has "cannot run sbatch"
[ -s sub/job.sbatch ] || fail "the script is not kept"
exit 0
