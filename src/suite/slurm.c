/* Shards of a suite and the sbatch job-array script that runs them (see slurm.h). */
#include "slurm.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

void suite_shard_range(int n_cells, int k, int n, int *from, int *to)
{
    *from = (int)((long long)k * n_cells / n);
    *to = (int)((long long)(k + 1) * n_cells / n);
}

/* digits only, at least one */
static bool digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int suite_shard_parse(const char *s, int *k, int *n, char *err)
{
    const char *slash = strchr(s, '/');
    char kb[16];
    size_t kl = slash ? (size_t)(slash - s) : 0;
    if (slash && kl < sizeof(kb) && digits(s, kl) && digits(slash + 1, strlen(slash + 1))) {
        memcpy(kb, s, kl);
        kb[kl] = '\0';
        if (parse_int(kb, 0, 99999, k) == 0 && parse_int(slash + 1, 1, 100000, n) == 0 && *k < *n)
            return 0;
    }
    char *e = str_escape(s, 0);
    set_err(err, "invalid value '%s' for --shard (expected K/N, 0 <= K < N <= 100000)", e);
    free(e);
    return -1;
}

int slurm_gpus_of_cells(const struct suite_cells *cells)
{
    int most = 0;
    for (int i = 0; i < cells->n; i++) {
        const struct engine_model_params *mp = &cells->c[i].mp;
        if (mp->n_gpu_layers == 0 || !strcmp(mp->devices, "none"))
            continue;
        int devs = 1;
        for (const char *p = mp->devices; *p; p++)
            devs += *p == ',' || *p == '/';
        if (devs > most)
            most = devs;
    }
    return most;
}

/* "A", "A:B" or "A:B:C" of at most max parts, each digits */
static int colon_parts(const char *s, int max)
{
    int parts = 0;
    for (const char *p = s;; parts++) {
        const char *c = strchr(p, ':');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (!digits(p, n) || parts >= max)
            return -1;
        if (!c)
            return parts + 1;
        p = c + 1;
    }
}

int slurm_time_check(const char *s)
{
    if (!strcmp(s, "infinite") || !strcmp(s, "unlimited") || !strcmp(s, "INFINITE") ||
        !strcmp(s, "UNLIMITED"))
        return 0;
    const char *dash = strchr(s, '-');
    if (dash) /* D-H, D-H:M, D-H:M:S */
        return digits(s, (size_t)(dash - s)) && colon_parts(dash + 1, 3) > 0 ? 0 : -1;
    return colon_parts(s, 3) > 0 ? 0 : -1;
}

/* s between single quotes for the shell: ' as '\'' */
static void put_sq(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", fp);
        else
            fputc(*s, fp);
    }
    fputc('\'', fp);
}

static bool has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* A value Slurm's option names may hold: letters, digits and . _ - , */
static bool plain_word(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("._-,", *s)))
            return false;
    return true;
}

/* the flags the script sets itself (an --sbatch-arg may not set them again) */
static const char *const own_flags[] = {"--array",      "-a",         "--output", "-o",
                                        "--error",      "-e",         "--signal", "--requeue",
                                        "--no-requeue", "--open-mode"};

static int check_sbatch_arg(const char *a, char *err)
{
    char *e = str_escape(a, 0);
    int rc = 0;
    if (a[0] != '-' || has_ctl(a)) {
        rc = set_err(err,
                     "invalid value '%s' for --sbatch-arg (expected one sbatch flag, as "
                     "--mem=8G, on one line)",
                     e);
    } else {
        size_t n = strcspn(a, "= ");
        if (a[1] != '-' && n > 2)
            n = 2; /* -aVALUE */
        for (size_t i = 0; i < QB_ARRAY_LEN(own_flags) && !rc; i++)
            if (strlen(own_flags[i]) == n && !strncmp(a, own_flags[i], n))
                rc = set_err(err, "--sbatch-arg '%s': the script sets %s itself", e, own_flags[i]);
    }
    free(e);
    return rc;
}

char *slurm_script(const struct slurm_job *j, char *err)
{
    const char *paths[] = {j->quantbench, j->suite, j->dir, j->workdir};
    const char *what[] = {"the quantbench binary", "the suite", "the output directory",
                          "the working directory"};
    for (size_t i = 0; i < QB_ARRAY_LEN(paths); i++)
        if (has_ctl(paths[i])) {
            char *e = str_escape(paths[i], 0);
            set_err(err, "%s '%s' has a control character (a newline): not in a job script",
                    what[i], e);
            free(e);
            return NULL;
        }
    /* the log's path is a Slurm file pattern: a backslash there turns the patterns off */
    if (strchr(j->dir, '\\')) {
        char *e = str_escape(j->dir, 0);
        set_err(err,
                "the output directory '%s' has a backslash: Slurm's --output pattern "
                "cannot hold one",
                e);
        free(e);
        return NULL;
    }
    const char *opt[] = {j->partition, j->account, j->qos};
    const char *opt_name[] = {"--partition", "--account", "--qos"};
    for (size_t i = 0; i < QB_ARRAY_LEN(opt); i++)
        if (opt[i] && !plain_word(opt[i])) {
            char *e = str_escape(opt[i], 0);
            set_err(err, "invalid value '%s' for %s (expected a name: letters, digits, . _ - ,)", e,
                    opt_name[i]);
            free(e);
            return NULL;
        }
    if (j->time && slurm_time_check(j->time) < 0) {
        char *e = str_escape(j->time, 0);
        set_err(err,
                "invalid value '%s' for --time (expected Slurm's M, M:S, H:M:S, D-H, "
                "D-H:M or D-H:M:S)",
                e);
        free(e);
        return NULL;
    }
    for (int i = 0; i < j->n_sbatch_args; i++)
        if (check_sbatch_arg(j->sbatch_args[i], err) < 0)
            return NULL;

    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    if (!fp)
        abort(); /* out of memory */
    /* the job's name: the suite's, in letters Slurm and every shell keep */
    char name[64];
    snprintf(name, sizeof(name), "qb-%s", j->name);
    for (char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("._-", *p)))
            *p = '_';
    fprintf(
        fp,
        "#!/bin/bash\n"
        "# quantbench run --slurm: the suite as a job array of %d tasks. Task K runs shard\n"
        "# K/%d (a contiguous block of the cells in run order) into its own database\n"
        "# task-K.db beside this script. %d s before the time limit Slurm sends USR1: the\n"
        "# cell in flight is given up (not stored), the task requeues itself and resumes\n"
        "# by cell key. Submit: sbatch job.sbatch; then: quantbench merge task-*.db -o all.db\n",
        j->shards, j->shards, SLURM_SIGNAL_LEAD_S);
    fprintf(fp, "#SBATCH --job-name=%s\n", name);
    fprintf(fp, "#SBATCH --array=0-%d", j->shards - 1);
    if (j->array_limit > 0)
        fprintf(fp, "%%%d", j->array_limit);
    fputc('\n', fp);
    /* in double quotes for sbatch's parser (\" a quote), % as %% for Slurm's pattern */
    fputs("#SBATCH --output=\"", fp);
    for (const char *p = j->dir; *p; p++) {
        if (*p == '"')
            fputs("\\\"", fp);
        else if (*p == '%')
            fputs("%%", fp);
        else
            fputc(*p, fp);
    }
    fputs("/logs/%A_%a.out\"\n", fp);
    fprintf(fp,
            "#SBATCH --open-mode=append\n"
            "#SBATCH --requeue\n"
            "#SBATCH --signal=B:USR1@%d\n"
            "#SBATCH --ntasks=1\n",
            SLURM_SIGNAL_LEAD_S);
    if (j->gpus_per_task > 0)
        fprintf(fp, "#SBATCH --gpus-per-task=%d\n", j->gpus_per_task);
    if (j->partition)
        fprintf(fp, "#SBATCH --partition=%s\n", j->partition);
    if (j->time)
        fprintf(fp, "#SBATCH --time=%s\n", j->time);
    if (j->account)
        fprintf(fp, "#SBATCH --account=%s\n", j->account);
    if (j->qos)
        fprintf(fp, "#SBATCH --qos=%s\n", j->qos);
    for (int i = 0; i < j->n_sbatch_args; i++)
        fprintf(fp, "#SBATCH %s\n", j->sbatch_args[i]);
    fputs("set -u\nqb=", fp);
    put_sq(fp, j->quantbench);
    fputs("\nsuite=", fp);
    put_sq(fp, j->suite);
    fputs("\ndir=", fp);
    put_sq(fp, j->dir);
    fprintf(fp, "\nn=%d\n", j->shards);
    fputs("k=${SLURM_ARRAY_TASK_ID:?this is a Slurm job array: submit it with sbatch}\n"
          "cd -- ",
          fp);
    put_sq(fp, j->workdir);
    fputs(" || exit 1\n", fp);
    fputs("echo \"quantbench: shard $k/$n: job ${SLURM_ARRAY_JOB_ID}_$k on $(hostname) at "
          "$(date -Is), start $((${SLURM_RESTART_COUNT:-0} + 1))\"\n"
          "warned=0\n"
          "pid=\n"
          "# the time limit's warning: quantbench stops after giving up the cell in flight\n"
          "trap 'warned=1; [ -z \"$pid\" ] || kill -TERM \"$pid\" 2>/dev/null' USR1\n"
          "\"$qb\" run \"$suite\" --shard \"$k/$n\" --db \"$dir/task-$k.db\" --no-progress",
          fp);
    if (j->timeout_s > 0)
        fprintf(fp, " --timeout %g", j->timeout_s);
    if (j->retry_failed)
        fputs(" --retry-failed", fp);
    fputs(" &\n"
          "pid=$!\n"
          "[ \"$warned\" = 0 ] || kill -TERM \"$pid\" 2>/dev/null\n"
          "wait \"$pid\"\n"
          "rc=$?\n"
          "# a trap ends wait early: wait again until quantbench has exited\n"
          "while kill -0 \"$pid\" 2>/dev/null; do\n"
          "    wait \"$pid\"\n"
          "    rc=$?\n"
          "done\n"
          "if [ \"$warned\" = 1 ]; then\n"
          "    echo \"quantbench: shard $k/$n: the time limit is near: the cell in flight was "
          "given up (not stored); requeued, the next start resumes by cell key\"\n"
          "    scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\" || exit \"$rc\"\n"
          "    exit 0\n"
          "fi\n"
          "echo \"quantbench: shard $k/$n: done at $(date -Is), exit $rc\"\n"
          "exit \"$rc\"\n",
          fp);
    if (fclose(fp) != 0)
        abort();
    return text;
}
