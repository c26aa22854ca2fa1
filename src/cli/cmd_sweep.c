/* quantbench sweep: PP and TG speed at increasing context depth in one pass
 * (ik_llama.cpp's llama-sweep-bench), in a worker process; -r repeats every depth,
 * --stride times every k-th. Rows keep sweep-bench's field names plus ours. */
#include <stdio.h>
#include <string.h>

#include "../record/args.h"
#include "../report/table.h"
#include "../run/sweep.h"
#include "../store/dbrun.h"
#include "../util/log.h"
#include "../util/procmem.h"
#include "cmd.h"
#include "single.h"

static const char sweep_help_head[] =
    "usage: quantbench sweep -m MODEL [flags]\n"
    "\n"
    "Speed against context depth in one pass, as llama-sweep-bench: for N_KV = 0, ub, 2ub,\n"
    "... below -c, time -n single-token generation steps at depth N_KV, remove them, then\n"
    "time one ubatch of prompt at N_KV, which stays and makes the next depth.\n"
    "\n"
    "Flags (defaults in brackets):\n"
    "  -n, --n-gen N               generated tokens per depth (T) [ubatch / 4]\n"
    "  --stride K                  time every K-th depth, fill the others [1]\n";

static const char sweep_help_tail[] =
    "\n"
    "Columns: PP, TG, N_KV, T_PP s, S_PP t/s, T_TG s, S_TG t/s (mean ± sd over -r).\n"
    "jsonl/json/csv rows: n_kv, pp, tg, t_pp, speed_pp, t_tg, speed_tg (sweep-bench's), then\n"
    "speed_pp_sd, speed_tg_sd, the raw samples, status, settings, build, model and host.\n"
    "\n" QB_EXIT_CODES_HELP;

static const struct table_col sweep_cols[] = {
    {"pp", "PP", 6, TABLE_INT},
    {"tg", "TG", 6, TABLE_INT},
    {"n_kv", "N_KV", 6, TABLE_INT},
    {"t_pp", "T_PP s", 8, TABLE_F3},
    {"speed_pp", "S_PP t/s", 16, TABLE_MEAN_SD},
    {"t_tg", "T_TG s", 8, TABLE_F3},
    {"speed_tg", "S_TG t/s", 16, TABLE_MEAN_SD},
    {"noisy", "noisy", 5, TABLE_FLAG},
};

/* a sweep's rows as run_sweep hands them: printed, stored, counted */
struct sweep_out {
    struct sweep_row_args args; /* the rows' settings; wall_ns set by run_sweep */
    struct table_out *out;
    struct progress *prog;
    int *n_noisy, *n_rows;
};

/* a sweep's depths as the worker finishes them */
static void on_depth(void *ud, long done, long total)
{
    struct sweep_out *so = ud;
    progress_set_total(so->prog, total);
    progress_update(so->prog, done);
}

static void on_point(void *ud, const struct runner *rn, const struct sweep_point *pt,
                     const cJSON *mem, enum bench_status status, const char *err)
{
    struct sweep_out *so = ud;
    progress_end(so->prog);
    cJSON *row = sweep_row_json(&so->args, rn, pt, mem, bench_status_name(status), err);
    if (pt) {
        *so->n_noisy += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "noisy"));
        ++*so->n_rows;
    }
    table_row(so->out, row);
    dbrun_row("sweep", row);
    cJSON_Delete(row);
}

/* the sweep of o->model: its rows into out, its noisy rows and rows added to *n_noisy and
 * *n_rows; the exit code */
static int sweep_model(const struct single_opts *o, int n_gen, int stride, struct table_out *out,
                       int *n_noisy, int *n_rows)
{
    struct sweep_params sp = {.n_gen = n_gen,
                              .reps = o->reps,
                              .stride = stride,
                              .no_warmup = o->no_warmup,
                              .seed = o->seed};
    struct run_load ld = {o->model, o->mp, {0, 0}, o->verbose, o->timeout_s};
    char what[96];
    single_opts_what(o, "sweep", what, sizeof(what));
    struct progress prog;
    progress_begin(&prog, o->progress, what, "depth", 0);
    struct sweep_out so = {{&o->mp, &o->cp, &sp, 0}, out, &prog, n_noisy, n_rows};
    struct sweep_sink sink = {on_depth, on_point, dbrun_stopped_cb, &so};
    int n_points;
    enum bench_status status;
    char err[QB_ERR_LEN];
    if (run_sweep(&ld, &o->cp, &sp, &sink, &so.args.wall_ns, &n_points, &status, err) < 0) {
        progress_end(&prog);
        if (status != BENCH_STATUS_INTERRUPTED) /* that is said once, by main */
            error("sweep of '%s': %s: %s", o->model, bench_status_name(status), err);
        return QB_EXIT_FAIL;
    }
    progress_end(&prog);
    if (o->n_models > 1)
        log_printf("quantbench: sweep of '%s': %d depths in %.2f s\n", o->model, n_points,
                   (double)so.args.wall_ns / 1e9);
    else
        fprintf(stderr, "quantbench: sweep: %d depths in %.2f s\n", n_points,
                (double)so.args.wall_ns / 1e9);
    return QB_EXIT_OK;
}

int cmd_sweep(int argc, char **argv)
{
    struct single_opts o;
    char err[QB_ERR_LEN];
    int n_gen = -1, stride = 1;
    single_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool used = false;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(sweep_help_head, stdout);
            single_opts_help(stdout);
            fputs(sweep_help_tail, stdout);
            return QB_EXIT_OK;
        }
        int rc = single_opts_flag(&o, a, v, &used, err);
        if (rc < 0)
            return usage_error("sweep", "%s", err);
        if (rc == 0) {
            if (strcmp(a, "-n") && strcmp(a, "--n-gen") && strcmp(a, "--stride"))
                return usage_error("sweep", "unknown flag '%s'", a);
            if (!v)
                return usage_error("sweep", "%s needs a value", a);
            int *dst = !strcmp(a, "--stride") ? &stride : &n_gen;
            int lo = dst == &stride ? 1 : 0;
            if (parse_int(v, lo, 1 << 24, dst) < 0)
                return usage_error("sweep",
                                   "invalid value '%s' for %s (expected an integer in "
                                   "%d..%d)",
                                   v, a, lo, 1 << 24);
            used = true;
        }
        if (used)
            i++;
    }
    double load_start = proc_load_average();
    int rc = single_opts_check(&o, "sweep");
    if (rc)
        return rc;
    int ub = (int)o.cp.n_ubatch;
    if (n_gen < 0)
        n_gen = ub / 4;
    if (n_gen > ub)
        return usage_error("sweep",
                           "-n %d exceeds -ub %d (the last depth has room for one "
                           "ubatch)",
                           n_gen, ub);
    if ((int)o.cp.n_ctx < ub)
        return usage_error("sweep", "-c %u is smaller than -ub %d", o.cp.n_ctx, ub);
    /* every timed depth is a row: the same cap as a grid of tests */
    long long depths = ((long long)o.cp.n_ctx + ub - 1) / ub,
              timed = (depths + stride - 1) / stride;
    if (timed > GRID_MAX) {
        char by[32] = "";
        if (stride > 1)
            snprintf(by, sizeof(by), " / --stride %d", stride);
        return usage_error("sweep", "-c %u / -ub %d%s makes %lld depths, more than the cap of %d",
                           o.cp.n_ctx, ub, by, timed, GRID_MAX);
    }

    struct table_out out;
    struct table_col cols[QB_ARRAY_LEN(sweep_cols) + SINGLE_EXTRA_COLS];
    int n_cols = single_opts_cols(&o, sweep_cols, (int)QB_ARRAY_LEN(sweep_cols), cols);
    table_begin(&out, stdout, o.fmt, cols, n_cols);
    int rcs[SINGLE_MAX_MODELS], n_run = 0, n_noisy = 0, n_rows = 0;
    while (n_run < o.n_models && !dbrun_should_stop() &&
           !(n_run && single_stopped(rcs[n_run - 1]))) {
        o.model = o.models[n_run];
        rcs[n_run] = sweep_model(&o, n_gen, stride, &out, &n_noisy, &n_rows);
        n_run++;
    }
    table_end(&out);
    warn_noisy(n_noisy, n_rows, load_start);
    if (fflush(stdout) != 0 || ferror(stdout))
        return error("cannot write results to stdout");
    return single_exit_code(rcs, n_run);
}
