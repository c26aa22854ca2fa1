/* quantbench batched: aggregate speed with B parallel sequences
 * (llama-batched-bench) for every (PP, TG, B) of -npp x -ntg x -npl, in a worker
 * process that loads the model once. A combination that does not fit the context, or
 * fails, is a row with its status and reason. */
#include <stdio.h>
#include <string.h>

#include "../record/args.h"
#include "../report/table.h"
#include "../run/batched.h"
#include "../store/dbrun.h"
#include "../util/log.h"
#include "../util/procmem.h"
#include "cmd.h"
#include "single.h"

static const char batched_help_head[] =
    "usage: quantbench batched -m MODEL [flags]\n"
    "\n"
    "Speed with B parallel sequences, as llama-batched-bench: B sequences of PP prompt\n"
    "tokens (decoded in -b chunks), then TG steps each decoding one token for every\n"
    "sequence.\n"
    "\n"
    "Flags (defaults in brackets; -npp -ntg -npl take comma lists and ranges):\n"
    "  -npp N                      prompt tokens per sequence [128]\n"
    "  -ntg N                      generation steps [128]\n"
    "  -npl N                      parallel sequences B, at most 256 (llama.cpp's\n"
    "                              LLAMA_MAX_SEQ) [1]\n"
    "  -pps, --shared-prompt       one prompt decoded once and copied to every sequence\n";

static const char batched_help_tail[] =
    "\n"
    "Columns: PP, TG, B, N_KV, T_PP s, S_PP t/s, T_TG s, S_TG t/s, T s, S t/s, with S_PP\n"
    "= B*PP/T_PP (PP/T_PP shared), S_TG = B*TG/T_TG, S = (prompt + B*TG)/T; means over -r,\n"
    "± sd. jsonl/json/csv rows keep batched-bench's fields (n_kv_max, n_batch, n_ubatch,\n"
    "flash_attn, is_pp_shared, n_gpu_layers, n_threads, n_threads_batch, pp, tg, pl, n_kv,\n"
    "t_pp, speed_pp, t_tg, speed_tg, t, speed) and add the sds, TTFT (until every sequence\n"
    "has its first token), raw samples, status, build, model and host.\n"
    "\n" QB_EXIT_CODES_HELP;

static const struct table_col batched_cols[] = {
    {"pp", "PP", 6, TABLE_INT},        {"tg", "TG", 6, TABLE_INT},
    {"pl", "B", 4, TABLE_INT},         {"n_kv", "N_KV", 6, TABLE_INT},
    {"t_pp", "T_PP s", 8, TABLE_F3},   {"speed_pp", "S_PP t/s", 16, TABLE_MEAN_SD},
    {"t_tg", "T_TG s", 8, TABLE_F3},   {"speed_tg", "S_TG t/s", 16, TABLE_MEAN_SD},
    {"t", "T s", 8, TABLE_F3},         {"speed", "S t/s", 16, TABLE_MEAN_SD},
    {"noisy", "noisy", 5, TABLE_FLAG},
};

static void log_error_row(const struct single_opts *o, const struct batched_params *bp,
                          const char *err)
{
    if (o->n_models > 1)
        log_printf("quantbench: error: '%s' PP %d TG %d B %d: %s\n", o->model, bp->pp, bp->tg,
                   bp->pl, err);
    else
        log_printf("quantbench: error: PP %d TG %d B %d: %s\n", bp->pp, bp->tg, bp->pl, err);
}

/* the rows run_batched hands out: printed, stored, counted */
struct batched_out {
    const struct single_opts *o;
    struct table_out *out;
    struct progress *prog;
    long n_done;
    int n_ok, n_failed, n_noisy;
};

static void on_row(void *ud, const struct runner *rn, const struct batched_params *bp,
                   const struct batched_result *r, const cJSON *mem, enum bench_status status,
                   const char *err)
{
    struct batched_out *bo = ud;
    const struct single_opts *o = bo->o;
    cJSON *row = batched_row_json(&o->mp, &o->cp, rn, bp, r, mem, bench_status_name(status), err);
    if (err[0]) {
        bo->n_failed++;
        progress_clear(bo->prog);
        if (status != BENCH_STATUS_INTERRUPTED) /* said once, by main */
            log_error_row(o, bp, err);
    } else {
        bo->n_ok++;
    }
    bo->n_noisy += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "noisy"));
    progress_clear(bo->prog); /* a row on a terminal goes on a line of its own */
    table_row(bo->out, row);
    dbrun_row("batched", row);
    cJSON_Delete(row);
    progress_update(bo->prog, ++bo->n_done);
}

int cmd_batched(int argc, char **argv)
{
    struct single_opts o;
    struct int_list npp = {0}, ntg = {0}, npl = {0};
    bool shared = false;
    char err[QB_ERR_LEN];
    int ret = QB_EXIT_OK, n_failed = 0, n_ok = 0, n_noisy = 0;
    double load_start = proc_load_average();
    single_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool used = false;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(batched_help_head, stdout);
            single_opts_help(stdout);
            fputs(batched_help_tail, stdout);
            ret = QB_EXIT_OK;
            goto out;
        }
        int rc = single_opts_flag(&o, a, v, &used, err);
        if (rc == 0) {
            if (!strcmp(a, "-pps") || !strcmp(a, "--shared-prompt")) {
                shared = true;
                rc = 1;
            } else if (!strcmp(a, "-npp") || !strcmp(a, "-ntg") || !strcmp(a, "-npl")) {
                struct int_list *l = !strcmp(a, "-npp") ? &npp : !strcmp(a, "-ntg") ? &ntg : &npl;
                if (!v)
                    rc = set_err(err, "%s needs a value", a);
                else {
                    /* the B sequences share one context, which llama.cpp refuses past 256 */
                    int max = l == &npl ? ENGINE_MAX_SEQ : 1 << 24;
                    rc = int_list_parse(l, a, v, 1, max, err) < 0 ? -1 : 1;
                }
                used = true;
            } else {
                rc = set_err(err, "unknown flag '%s'", a);
            }
        }
        if (rc < 0) {
            ret = usage_error("batched", "%s", err);
            goto out;
        }
        if (used)
            i++;
    }
    const struct grid_dim dims[] = {{"-npp", npp.n}, {"-ntg", ntg.n}, {"-npl", npl.n}};
    if (grid_check(dims, QB_ARRAY_LEN(dims), "tests", err) < 0) {
        ret = usage_error("batched", "%s", err);
        goto out;
    }
    if ((ret = single_opts_check(&o, "batched")) != 0)
        goto out;
    if (!npp.n)
        int_list_push(&npp, 128);
    if (!ntg.n)
        int_list_push(&ntg, 128);
    if (!npl.n)
        int_list_push(&npl, 1);

    struct table_out out;
    struct table_col cols[QB_ARRAY_LEN(batched_cols) + SINGLE_EXTRA_COLS];
    int n_cols = single_opts_cols(&o, batched_cols, (int)QB_ARRAY_LEN(batched_cols), cols);
    table_begin(&out, stdout, o.fmt, cols, n_cols);
    struct progress prog;
    progress_begin(&prog, o.progress, "batched", "test",
                   (long)(o.n_models * npp.n * ntg.n * npl.n));
    struct batched_out bo = {&o, &out, &prog, 0, 0, 0, 0};
    struct batched_sink sink = {on_row, dbrun_stopped_cb, &bo};
    struct batched_grid g = {
        npp.v,
        ntg.v,
        npl.v,
        npp.n,
        ntg.n,
        npl.n,
        {.shared = shared, .reps = o.reps, .no_warmup = o.no_warmup, .seed = o.seed}};
    for (int mi = 0; mi < o.n_models && !dbrun_should_stop(); mi++) {
        o.model = o.models[mi];
        struct run_load ld = {o.model, o.mp, {0, 0}, o.verbose, o.timeout_s};
        run_batched(&ld, &o.cp, &g, &sink);
    }
    n_ok = bo.n_ok;
    n_failed = bo.n_failed;
    n_noisy = bo.n_noisy;
    progress_end(&prog);
    table_end(&out);
    warn_noisy(n_noisy, n_ok + n_failed, load_start);
    if (fflush(stdout) != 0 || ferror(stdout))
        ret = error("cannot write results to stdout");
    else if (n_failed)
        ret = n_ok ? QB_EXIT_PARTIAL : QB_EXIT_FAIL;
out:
    int_list_release(&npp);
    int_list_release(&ntg);
    int_list_release(&npl);
    return ret;
}
