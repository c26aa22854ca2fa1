/* quantbench run: a suite (models x settings x tests, README "Suites") through
 * suite/: validated whole first, then every cell not stored yet, resumable after a crash
 * or a kill, and at the end the table to share (report --suite prints it again). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../dash/report.h"
#include "../dash/server.h"
#include "../engine/engine.h"
#include "../report/table.h"
#include "../store/dbrun.h"
#include "../store/store.h"
#include "../suite/exec.h"
#include "../suite/share.h"
#include "../suite/slurm.h"
#include "../suite/suite.h"
#include "../util/log.h"
#include "../util/sig.h"
#include "cmd.h"

static const char run_help[] =
    "usage: quantbench run [SUITE.json] [flags]\n"
    "\n"
    "Runs a suite: every model x setting x test of SUITE.json (README \"Suites\"), one cell\n"
    "after another, each stored with its rows as it finishes. Run it again on the same\n"
    "database and it skips the cells stored already: after a crash, a kill or a walltime it\n"
    "completes exactly the missing ones; an edited suite reruns the cells whose model, test\n"
    "or settings changed. At the end it prints the table to share (report --suite RUN).\n"
    "\n"
    "  SUITE.json          the suite; without one, the built-in default on --source\n"
    "  --source F16.gguf   the built-in default suite on this F16/BF16 model: its ladder\n"
    "                      Q8_0 Q6_K Q4_K_M Q3_K_L, bench pp512 tg128 pp512+tg128, mem,\n"
    "                      perplexity and KL-divergence against the source on the\n"
    "                      licenses corpus, the built-in prompts answered and graded\n"
    "                      (what make run runs)\n"
    "  --example           print the default suite (a complete example) and exit\n"
    "  --dry-run           list every cell, what a run would do to it and its estimated time\n"
    "  --fresh             measure every cell again, stored or not\n"
    "  --retry-failed      measure again the cells whose stored result failed\n"
    "  --timeout S         per model load and per call [none]\n"
    "  -o FMT              the table: md, csv, json or html (the dashboard's page of the\n"
    "                      run as one self-contained file, as report --suite RUN -o html)\n"
    "                      [md]\n"
    "  --progress, --no-progress   the status line (default: when stderr is a terminal)\n"
    "  -v, --verbose       echo the workers' stderr\n"
    "  --serve             serve the dashboard on the run's database while it runs (as\n"
    "                      quantbench serve; from before the first cell to the end): its\n"
    "                      URL on stderr\n"
    "  --host ADDR, --port N   where --serve listens [127.0.0.1, 8080; 0: a free port]\n"
    "  --shard K/N         only shard K of N (0 <= K < N) of the cells: the contiguous\n"
    "                      block [K*n/N, (K+1)*n/N) of the n cells in run order (what a\n"
    "                      task of --slurm runs); the whole plan is stored, so merged\n"
    "                      shards report as one table\n"
    "\n"
    "On a Slurm cluster (README \"Slurm\"):\n"
    "  --slurm -o DIR      write DIR/job.sbatch, a job array of N tasks: task K runs\n"
    "                      --shard K/N into DIR/task-K.db, logs in DIR/logs/%A_%a.out;\n"
    "                      120 s before the time limit (USR1) it gives up the cell in flight\n"
    "                      and requeues itself, resuming by cell key. Printed for review;\n"
    "                      then quantbench merge DIR/task-*.db -o all.db\n"
    "  --submit            submit it (sbatch) and print the job id instead\n"
    "  --shards N          tasks [one per model x settings row, at most one per cell]\n"
    "  --array-limit K     at most K tasks at once (--array=0-(N-1)%K) [no limit]\n"
    "  --gpus-per-task N   [the suite's: 0 when every cell has ngl 0 or dev none, else the\n"
    "                      devices a cell names, at least 1]\n"
    "  --partition P, --time T, --account A, --qos Q   sbatch's, as given\n"
    "  --sbatch-arg ARG    one more sbatch flag (--mem=64G), repeatable\n"
    "\n"
    "Exit: 0 every cell ok; 2 a bad flag or suite (unknown key, wrong type, empty grid);\n"
    "3 a suite that is missing, unreadable or not JSON, or a model or file it names that\n"
    "is; 4 some cells failed (crashed, out of memory,\n"
    "timed out: recorded with their status; --retry-failed reruns them); 130/143 a signal\n"
    "(the finished cells are kept).\n"
    "\n" QB_EXIT_CODES_HELP;

#define MAX_SBATCH_ARGS 32

struct slurm_opts {
    bool on, submit;
    int shards;      /* 0: the default */
    int array_limit; /* 0 none */
    int gpus;        /* -1: the suite's */
    const char *partition, *time, *account, *qos;
    const char *args[MAX_SBATCH_ARGS];
    int n_args;
    const char *given; /* a Slurm flag given (for "needs --slurm") */
};

struct run_opts {
    const char *file, *source;
    bool example, dry_run;
    struct suite_opts so;
    enum bench_fmt fmt;
    bool serve;
    const char *host;
    int port;
    const char *out;      /* -o: the table's format, or with --slurm the directory */
    int shard_k, shard_n; /* --shard; shard_n 0: every cell */
    struct slurm_opts sl;
};

static int parse_args(int argc, char **argv, struct run_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->so.progress = PROGRESS_AUTO;
    o->fmt = BENCH_FMT_MD;
    o->host = "127.0.0.1";
    o->port = 8080;
    o->sl.gpus = -1;
    const char *where_given = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(run_help, stdout);
            return -1;
        } else if (!strcmp(a, "--example")) {
            o->example = true;
        } else if (!strcmp(a, "--dry-run")) {
            o->dry_run = true;
        } else if (!strcmp(a, "--fresh")) {
            o->so.fresh = true;
        } else if (!strcmp(a, "--retry-failed")) {
            o->so.retry_failed = true;
        } else if (!strcmp(a, "--progress")) {
            o->so.progress = PROGRESS_ON;
        } else if (!strcmp(a, "--no-progress")) {
            o->so.progress = PROGRESS_OFF;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->so.verbose++;
        } else if (!strcmp(a, "--serve")) {
            o->serve = true;
        } else if (!strcmp(a, "--slurm")) {
            o->sl.on = true;
        } else if (!strcmp(a, "--submit")) {
            o->sl.submit = true;
            o->sl.given = a;
        } else if (!strcmp(a, "--shard") || !strcmp(a, "--shards") || !strcmp(a, "--array-limit") ||
                   !strcmp(a, "--gpus-per-task") || !strcmp(a, "--partition") ||
                   !strcmp(a, "--time") || !strcmp(a, "--account") || !strcmp(a, "--qos") ||
                   !strcmp(a, "--sbatch-arg")) {
            if (!v || !v[0])
                return usage_error("run", "'%s' needs a value", a);
            i++;
            char err[QB_ERR_LEN];
            if (!strcmp(a, "--shard")) {
                if (suite_shard_parse(v, &o->shard_k, &o->shard_n, err) < 0)
                    return usage_error("run", "%s", err);
                continue;
            }
            o->sl.given = a;
            int *num = !strcmp(a, "--shards")          ? &o->sl.shards
                       : !strcmp(a, "--array-limit")   ? &o->sl.array_limit
                       : !strcmp(a, "--gpus-per-task") ? &o->sl.gpus
                                                       : NULL;
            if (num) {
                int lo = num == &o->sl.gpus ? 0 : 1;
                if (parse_int(v, lo, num == &o->sl.gpus ? 1024 : 100000, num) < 0)
                    return usage_error("run", "invalid value '%s' for %s (expected %s)", v, a,
                                       lo ? "a whole number >= 1" : "a whole number >= 0");
            } else if (!strcmp(a, "--sbatch-arg")) {
                if (o->sl.n_args == MAX_SBATCH_ARGS)
                    return usage_error("run", "at most %d --sbatch-arg", MAX_SBATCH_ARGS);
                o->sl.args[o->sl.n_args++] = v;
            } else {
                const char **f = a[2] == 'p'   ? &o->sl.partition
                                 : a[2] == 't' ? &o->sl.time
                                 : a[2] == 'a' ? &o->sl.account
                                               : &o->sl.qos;
                *f = v;
            }
        } else if (!strcmp(a, "--host") || !strcmp(a, "--port")) {
            if (!v || !v[0])
                return usage_error("run", "'%s' needs a value", a);
            i++;
            where_given = a;
            if (a[2] == 'h')
                o->host = v;
            else if (parse_int(v, 0, 65535, &o->port) < 0)
                return usage_error("run", "invalid value '%s' for --port (expected 0-65535)", v);
        } else if (!strcmp(a, "--source") || !strcmp(a, "--timeout") || !strcmp(a, "-o")) {
            if (!v || !v[0])
                return usage_error("run", "'%s' needs a value", a);
            i++;
            if (a[2] == 's') {
                o->source = v;
            } else if (a[1] == 'o') {
                o->out = v; /* a format, or --slurm's directory: known after the loop */
            } else if (parse_double(v, &o->so.timeout_s) < 0 || o->so.timeout_s < 0) {
                return usage_error("run", "invalid value '%s' for --timeout (expected seconds)", v);
            }
        } else if (a[0] == '-' && a[1]) {
            return usage_error("run", "unknown flag '%s'", a);
        } else if (o->file) {
            return usage_error("run", "one suite at a time ('%s' and '%s')", o->file, a);
        } else {
            o->file = a;
        }
    }
    if (o->file && o->source)
        return usage_error("run", "--source is for the built-in suite; '%s' names its models",
                           o->file);
    if (o->sl.on) {
        if (!o->out)
            return usage_error("run", "--slurm needs -o DIR (where the script, the tasks' "
                                      "databases and their logs go)");
        if (!o->file)
            return usage_error("run", "--slurm needs SUITE.json (each task reads it)");
        const char *no = o->shard_n    ? "--shard"
                         : o->dry_run  ? "--dry-run"
                         : o->serve    ? "--serve"
                         : o->so.fresh ? "--fresh"
                         : o->example  ? "--example"
                                       : NULL;
        if (no)
            return usage_error("run", "%s is not for --slurm%s", no,
                               o->so.fresh ? " (each requeued start would measure again)" : "");
        if (o->sl.array_limit && o->sl.shards && o->sl.array_limit > o->sl.shards)
            o->sl.array_limit = 0; /* no limit then */
    } else if (o->sl.given) {
        return usage_error("run", "'%s' is for --slurm", o->sl.given);
    } else if (o->out) {
        char err[QB_ERR_LEN];
        unsigned fmts = BENCH_FMT_BIT(BENCH_FMT_MD) | BENCH_FMT_BIT(BENCH_FMT_CSV) |
                        BENCH_FMT_BIT(BENCH_FMT_JSON) | BENCH_FMT_BIT(BENCH_FMT_HTML);
        if (bench_fmt_flag(o->out, fmts, NULL, &o->fmt, err) < 0)
            return usage_error("run", "%s", err);
    }
    if (where_given && !o->serve)
        return usage_error("run", "'%s' is for --serve", where_given);
    if (o->serve && !dbrun_path())
        return usage_error("run", "--serve serves the run's database: not with --no-db");
    if (!o->file && !o->source && !o->example)
        return usage_error("run", "no suite: give SUITE.json, or --source F16.gguf for the "
                                  "built-in one (--example prints it)");
    return 0;
}

/* sbatch --parsable FILE: its job id to stdout; sbatch's own errors on stderr */
static int submit(const char *file)
{
    int fd[2];
    if (pipe(fd) < 0)
        return error("cannot run sbatch: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return error("cannot run sbatch: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execlp("sbatch", "sbatch", "--parsable", file, (char *)NULL);
        fprintf(stderr, "quantbench: cannot run sbatch: %s (is this a Slurm cluster's node?)\n",
                strerror(errno));
        _exit(127);
    }
    close(fd[1]);
    char id[256];
    size_t n = 0;
    ssize_t r;
    while ((r = read(fd[0], id + n, sizeof(id) - 1 - n)) > 0 || (r < 0 && errno == EINTR))
        n += r > 0 ? (size_t)r : 0;
    close(fd[0]);
    id[n] = '\0';
    id[strcspn(id, ";\r\n")] = '\0'; /* "JOBID" or "JOBID;CLUSTER" */
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !id[0])
        return WIFEXITED(st) && WEXITSTATUS(st) == 127
                   ? -1
                   : error("sbatch '%s' failed (exit %d): the job was not submitted", file,
                           WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    printf("%s\n", id);
    log_printf("quantbench: submitted job array %s: logs in its logs/%s_K.out, the tasks' "
               "databases task-K.db; squeue -j %s\n",
               id, id, id);
    return fflush(stdout) == 0 ? 0 : error("cannot write the job id");
}

/* --slurm: DIR/job.sbatch of the suite's cells, printed or submitted */
static int slurm_main(const struct run_opts *o, const struct suite *s,
                      const struct suite_cells *cells)
{
    char err[QB_ERR_LEN];
    int n = o->sl.shards ? o->sl.shards : cells->n_groups;
    if (n > cells->n) {
        if (o->sl.shards)
            return usage_error("run",
                               "--shards %d: the suite has %d cells (a shard holds at "
                               "least one)",
                               n, cells->n);
        n = cells->n;
    }
    if (n < 1)
        n = 1;
    char logs[4096];
    if (snprintf(logs, sizeof(logs), "%s/logs", o->out) >= (int)sizeof(logs))
        return error("'%s': the path is too long", o->out), QB_EXIT_USAGE;
    if (mkdir_p(logs) < 0) {
        error("cannot make '%s': %s", logs, strerror(errno));
        return QB_EXIT_FAIL;
    }
    char *dir = realpath(o->out, NULL), *suite = realpath(o->file, NULL);
    char *self = realpath("/proc/self/exe", NULL), *cwd = getcwd(NULL, 0);
    char *file = NULL, *text = NULL;
    int rc = QB_EXIT_FAIL;
    if (!dir || !suite || !self || !cwd) {
        error("cannot resolve the paths of the job (%s): %s",
              !dir     ? o->out
              : !suite ? o->file
              : !self  ? "/proc/self/exe"
                       : ".",
              strerror(errno));
        goto out;
    }
    struct slurm_job j = {.quantbench = self,
                          .suite = suite,
                          .dir = dir,
                          .workdir = cwd,
                          .name = s->name,
                          .shards = n,
                          .array_limit = o->sl.array_limit < n ? o->sl.array_limit : 0,
                          .gpus_per_task =
                              o->sl.gpus >= 0 ? o->sl.gpus : slurm_gpus_of_cells(cells),
                          .partition = o->sl.partition,
                          .time = o->sl.time,
                          .account = o->sl.account,
                          .qos = o->sl.qos,
                          .sbatch_args = o->sl.args,
                          .n_sbatch_args = o->sl.n_args,
                          .timeout_s = o->so.timeout_s,
                          .retry_failed = o->so.retry_failed};
    if (!(text = slurm_script(&j, err))) {
        usage_error("run", "%s", err);
        rc = QB_EXIT_USAGE;
        goto out;
    }
    file = xasprintf("%s/job.sbatch", dir);
    if (write_file_atomic(file, text, err) < 0) {
        error("%s", err);
        goto out;
    }
    chmod(file, 0755);
    log_printf("quantbench: run --slurm: %d cells in %d shards (%s): %s%s\n", cells->n, n,
               j.gpus_per_task ? "GPUs per task from the suite or --gpus-per-task"
                               : "no GPUs: every cell on the CPU",
               file, o->sl.submit ? "" : "; submit it with sbatch, or run again with --submit");
    if (o->sl.submit) {
        rc = submit(file) < 0 ? QB_EXIT_FAIL : QB_EXIT_OK;
    } else {
        fputs(text, stdout);
        rc = fflush(stdout) == 0 ? QB_EXIT_OK : (error("cannot write the script"), QB_EXIT_FAIL);
    }
out:
    free(dir);
    free(suite);
    free(self);
    free(cwd);
    free(file);
    free(text);
    return rc;
}

/* the table of run_id's cells, to stdout */
static int print_table(struct store *st, int64_t run_id, enum bench_fmt fmt)
{
    char err[QB_ERR_LEN];
    if (fmt == BENCH_FMT_MD)
        fputc('\n', stdout);
    if (fmt == BENCH_FMT_HTML ? dash_report_suite(st, run_id, stdout, err) < 0
                              : suite_write_table(st, run_id, fmt, stdout, err) < 0)
        return error("the table: %s", err);
    return fflush(stdout) == 0 ? 0 : error("cannot write the table");
}

static int run_main(struct run_opts *o)
{
    char err[QB_ERR_LEN];
    if (o->example) {
        fputs(suite_default_json(o->source ? o->source : "models/demo-F16.gguf"), stdout);
        return QB_EXIT_OK;
    }
    char *text = NULL;
    const char *file = o->file ? o->file : "(built-in suite)";
    if (o->file) {
        size_t len;
        if (!(text = read_file(o->file, 16u << 20, &len, err))) {
            error("%s", err);
            return QB_EXIT_INPUT;
        }
        if (memchr(text, '\0', len)) { /* JSON has none: what follows it would be lost */
            free(text);
            error("%s: contains a NUL byte (not a JSON text)", o->file);
            return QB_EXIT_INPUT;
        }
    } else {
        text = xstrdup(suite_default_json(o->source));
    }
    struct suite s;
    struct suite_cells cells = {0};
    int rc = suite_parse(file, text, &s, err);
    free(text);
    if (rc == 0)
        rc = suite_expand(&s, &cells, err);
    if (rc) {
        error("%s", err);
        goto out;
    }
    if (o->sl.on) {
        rc = slurm_main(o, &s, &cells);
        goto out;
    }
    if (o->shard_n) {
        int n_all = cells.n, from, to;
        suite_shard_range(n_all, o->shard_k, o->shard_n, &from, &to);
        /* the whole plan is stored (merge shows the shards' cells as one table); only
         * these cells run */
        o->so.shard_from = from;
        o->so.shard_to = to;
        if (from == to) {
            log_printf("quantbench: run: shard %d/%d of %d cells holds none: nothing to run\n",
                       o->shard_k, o->shard_n, n_all);
            goto out;
        }
        log_printf("quantbench: run: shard %d/%d: cells %d-%d of %d\n", o->shard_k, o->shard_n,
                   from + 1, to, n_all);
    }
    engine_global_init(0);
    struct engine_build_info bi;
    engine_build_info(&bi);
    char build[160];
    snprintf(build, sizeof(build), "%s %d", bi.commit, bi.build_number);
    o->so.build = build;

    struct store *st = NULL, *mem_st = NULL;
    int64_t run_id = 0;
    int code;
    if (o->dry_run) {
        /* the database as it is, read only: nothing is written by a dry run */
        const char *db = dbrun_path();
        if (db && access(db, F_OK) == 0 && !(st = dbrun_open_existing(db, &code, err))) {
            error("%s", err);
            rc = code;
            goto out;
        }
        suite_keys(&s, &cells, build, err); /* rungs not made yet keep no key */
        rc = suite_dry_run(&s, &cells, st, &o->so, err);
        if (rc)
            error("%s", err);
        store_close(st);
        goto out;
    }
    bool made;
    rc = suite_make_ladder(&s, &o->so, &made, err);
    if (rc && rc != QB_EXIT_PARTIAL) {
        error("%s", err);
        goto out;
    }
    int ladder_rc = rc;
    /* a rung that could not be made has no identity: its cells keep no key, left out */
    if ((rc = suite_keys(&s, &cells, build, err)) != 0) {
        error("%s", err);
        goto out;
    }
    if (dbrun_begin(&st, &run_id, &code, err) < 0) {
        error("%s", err);
        rc = code;
        goto out;
    }
    if (!st) { /* --no-db: a private database for this run's table */
        if (!(mem_st = store_open(":memory:", 0, err)) ||
            store_run_begin(mem_st, "run", "[\"run\"]", NULL, NULL, &run_id, err) < 0) {
            error("%s", err);
            rc = QB_EXIT_FAIL;
            goto out_db;
        }
        st = mem_st;
    }
    struct dash_server *srv = NULL;
    if (o->serve) {
        struct dash_server_opts so = {
            .db = dbrun_path(), .host = o->host, .port = o->port, .title = "quantbench run"};
        if (!(srv = dash_server_start(&so, &code, err))) {
            error("--serve: %s", err);
            rc = code;
            goto out_db;
        }
        if (!dash_host_is_loopback(o->host))
            log_printf("quantbench: warning: --host %s is not loopback: anyone who can reach "
                       "it reads the results\n",
                       o->host);
        log_printf("quantbench: serving %s\n", dash_server_url(srv));
    }
    struct suite_result res;
    rc = suite_run(&s, &cells, st, run_id, &o->so, &res, err);
    if (rc && rc != QB_EXIT_PARTIAL && !res.interrupted) /* main says an interruption */
        error("%s", err);
    if (!res.interrupted && rc != QB_EXIT_FAIL) {
        log_printf("quantbench: run: %d cells: %d run (%d ok, %d failed), %d reused%s%s\n",
                   res.n_cells - res.n_other_shard, res.n_run, res.n_ok, res.n_failed, res.n_reused,
                   res.n_missing ? ", some left out" : "",
                   res.n_other_shard ? " (this shard's)" : "");
        int trc = print_table(st, run_id, o->fmt);
        if (trc)
            rc = trc;
        else if (!mem_st)
            log_printf("quantbench: run %lld: the table again: quantbench report --suite %lld;"
                       " its rows: quantbench report run=%lld\n",
                       (long long)run_id, (long long)run_id, (long long)run_id);
    }
    if (rc == 0 && ladder_rc)
        rc = ladder_rc;
    dash_server_stop(srv);
out_db:
    store_close(mem_st);
out:
    suite_cells_release(&cells);
    suite_release(&s);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    struct run_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? QB_EXIT_OK : rc;
    return run_main(&o);
}
