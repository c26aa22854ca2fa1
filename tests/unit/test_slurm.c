/* Shards of a suite and the sbatch script (suite/slurm.h): every cell in exactly one shard,
 * contiguous and balanced, the same split every time; --shard, --time and the values the
 * script refuses; the script's array, signal, requeue and quoting lines. */
#include <stdlib.h>

#include "../../src/suite/slurm.h"
#include "test.h"

void test_slurm_shards(void)
{
    int from, to;
    /* 10 cells in 4 shards: [0,2) [2,5) [5,7) [7,10) */
    const int want[4][2] = {{0, 2}, {2, 5}, {5, 7}, {7, 10}};
    for (int k = 0; k < 4; k++) {
        suite_shard_range(10, k, 4, &from, &to);
        CHECK(from == want[k][0] && to == want[k][1]);
    }
    for (int n_cells = 0; n_cells <= 40; n_cells++)
        for (int n = 1; n <= 12; n++) {
            int next = 0;
            for (int k = 0; k < n; k++) {
                suite_shard_range(n_cells, k, n, &from, &to);
                CHECK(from == next); /* contiguous, each cell once, in order */
                CHECK(to - from == n_cells / n || to - from == n_cells / n + 1);
                next = to;
            }
            CHECK(next == n_cells);
        }
    char err[QB_ERR_LEN];
    int k, n;
    CHECK(suite_shard_parse("0/1", &k, &n, err) == 0 && k == 0 && n == 1);
    CHECK(suite_shard_parse("3/4", &k, &n, err) == 0 && k == 3 && n == 4);
    const char *bad[] = {"4/4", "-1/4", "1", "1/0", "a/2", "1/2/3", "/2", "1/", " 1/2", "1/2x", ""};
    for (size_t i = 0; i < QB_ARRAY_LEN(bad); i++)
        CHECK(suite_shard_parse(bad[i], &k, &n, err) < 0 && strstr(err, "--shard"));
}

void test_slurm_script(void)
{
    const char *good[] = {"30",      "30:00",      "1:00:00",  "2-0",      "2-12",
                          "2-12:30", "2-12:30:00", "infinite", "UNLIMITED"};
    for (size_t i = 0; i < QB_ARRAY_LEN(good); i++)
        CHECK(slurm_time_check(good[i]) == 0);
    const char *bad_t[] = {"", "1h", "1:2:3:4", "-1", "1-", "1-2-3", ":30", "1::2", "2-1:2:3:4"};
    for (size_t i = 0; i < QB_ARRAY_LEN(bad_t); i++)
        CHECK(slurm_time_check(bad_t[i]) < 0);

    char err[QB_ERR_LEN];
    const char *args[] = {"--mem=8G", "--constraint=a100"};
    struct slurm_job j = {.quantbench = "/opt/qb/quantbench",
                          .suite = "/home/a b/s'1.json",
                          .dir = "/scratch/o \"x\" 50%",
                          .workdir = "/home/a b",
                          .name = "night 1/x",
                          .shards = 8,
                          .array_limit = 3,
                          .gpus_per_task = 4,
                          .partition = "gpu",
                          .time = "1-00:00:00",
                          .sbatch_args = args,
                          .n_sbatch_args = 2,
                          .timeout_s = 600};
    char *t = slurm_script(&j, err);
    CHECK(t != NULL);
    if (t) {
        CHECK(strstr(t, "\n#SBATCH --array=0-7%3\n"));
        CHECK(strstr(t, "\n#SBATCH --job-name=qb-night_1_x\n"));
        CHECK(strstr(t, "\n#SBATCH --output=\"/scratch/o \\\"x\\\" 50%%/logs/%A_%a.out\"\n"));
        CHECK(strstr(t, "\n#SBATCH --signal=B:USR1@120\n#SBATCH --ntasks=1\n"));
        CHECK(strstr(t, "\n#SBATCH --requeue\n") && strstr(t, "\n#SBATCH --open-mode=append\n"));
        CHECK(strstr(t, "\n#SBATCH --gpus-per-task=4\n#SBATCH --partition=gpu\n"
                        "#SBATCH --time=1-00:00:00\n#SBATCH --mem=8G\n"
                        "#SBATCH --constraint=a100\nset -u\n"));
        CHECK(strstr(t, "\nsuite='/home/a b/s'\\''1.json'\n"));
        CHECK(
            strstr(t, "--shard \"$k/$n\" --db \"$dir/task-$k.db\" --no-progress --timeout 600 &"));
        CHECK(strstr(t, "scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\""));
        free(t);
    }
    /* without a limit, GPUs or options: none of their lines */
    struct slurm_job m = {
        .quantbench = "/q", .suite = "/s", .dir = "/d", .workdir = "/", .name = "n", .shards = 1};
    t = slurm_script(&m, err);
    CHECK(t && strstr(t, "\n#SBATCH --array=0-0\n") && !strstr(t, "gpus") &&
          !strstr(t, "--partition") && !strstr(t, "--time"));
    free(t);
    /* what cannot be written safely */
    struct slurm_job b = m;
    b.dir = "/d\\x";
    CHECK(!slurm_script(&b, err) && strstr(err, "backslash"));
    b = m;
    b.suite = "/s\n#SBATCH --x";
    CHECK(!slurm_script(&b, err) && strstr(err, "control character"));
    b = m;
    b.partition = "gpu main";
    CHECK(!slurm_script(&b, err) && strstr(err, "--partition"));
    b = m;
    b.time = "1h";
    CHECK(!slurm_script(&b, err) && strstr(err, "--time"));
    const char *own[] = {"--array=0-3", "-a0-3", "--output=x", "--signal=USR2@60", "--no-requeue"};
    for (size_t i = 0; i < QB_ARRAY_LEN(own); i++) {
        b = m;
        b.sbatch_args = &own[i];
        b.n_sbatch_args = 1;
        CHECK(!slurm_script(&b, err) && strstr(err, "sets"));
    }
    const char *notflag[] = {"mem=8G", "--mem=8G\n#SBATCH --array=1"};
    for (size_t i = 0; i < QB_ARRAY_LEN(notflag); i++) {
        b = m;
        b.sbatch_args = &notflag[i];
        b.n_sbatch_args = 1;
        CHECK(!slurm_script(&b, err) && strstr(err, "--sbatch-arg"));
    }
}
