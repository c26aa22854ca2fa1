/* quantbench ctxmax: the largest context (a multiple of --step) that loads AND runs:
 * each probe is a fresh worker that loads the model, creates the context, occupies the
 * cells below the last ubatch and decodes that ubatch and one token at the deepest depth;
 * the answer is checked once by a full decode. Seeded with mem's estimate, then galloping
 * from the seed and bisection; a probe that runs out of memory, crashes, times out or
 * (with --budget, on the host) peaks above the budget has failed, and the search goes on.
 * A line per probe on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../report/table.h"
#include "../run/ctxmax.h"
#include "../store/dbrun.h"
#include "../util/log.h"
#include "../util/progress.h"
#include "../util/util.h"
#include "cmd.h"
#include "memcmd.h"
#include "single.h"

static const char ctxmax_help[] =
    "usage: quantbench ctxmax -m MODEL [flags]\n"
    "\n"
    "The largest context that loads and decodes, per configuration. Every probe is a fresh\n"
    "worker: load, create the context, occupy the cells below the last ubatch with zeros\n"
    "(not decoded: a probe costs a load and one ubatch, not a fill quadratic in n_ctx),\n"
    "decode that ubatch and one token at the deepest depth. An out-of-memory, a crash or a\n"
    "timeout fails a probe; the search goes on. The search starts at mem's estimate, gallops\n"
    "away from it and bisects to --step; the answer is then checked once by a full decode\n"
    "of its context (where that fails, it steps down until one passes). A line per probe on\n"
    "stderr: n_ctx, ok or failed and why, seconds, probes left.\n"
    "\n"
    "Flags (defaults in brackets):\n"
    "  --step N                    granularity of the answer [256]\n"
    "  --max N                     largest context to try [the model's training context]\n"
    "  --budget SIZE               host RAM budget (e.g. 8GiB): a probe whose peak RSS\n"
    "                              exceeds it fails (lets the search run on a CPU)\n"
    "  -np, --parallel N           parallel sequences [1]\n"
    "  --full-fill                 every probe decodes its whole context (the old way,\n"
    "                              quadratic in n_ctx); no final check\n"
    "  --no-check                  no final check by a full decode (it costs what a full\n"
    "                              decode of the answer's context costs)\n"
    "  --progress, --no-progress   probes done with an ETA on stderr [on when stderr is a\n"
    "                              terminal]\n" MEMCMD_HELP "\n"
    "Several models (-m A -m B, -m A,B) are searched one after the other. md: per model the\n"
    "answer and its probes; csv: the probe table, the model first; json: the search's object\n"
    "(with several models an array of them); jsonl: one object per model and line.\n"
    "\n" QB_EXIT_CODES_HELP;

/* what the run's callbacks write to: progress on stderr, rows on stdout */
struct ui {
    struct single_opts *so; /* the flags; so->model: the model being searched */
    const struct ctxmax_params *cp;
    struct progress prog;    /* probes done against the probes the search may still need */
    struct text_table table; /* md / csv */
    bool several_json;       /* a json array of several models */
};

/* md: a section per model with its probes; csv: the same table, the model first, one
 * header for all models */
static void ctxmax_table(const struct single_opts *so, const struct ctxmax_params *cp,
                         const char *model, const struct ctxmax_model *c, struct text_table *t)
{
    static const char *const heads[] = {
        "model",        "#",      "n_ctx",  "outcome", "peak RSS MiB",
        "GPU used MiB", "time s", "reason", "fill"};
    bool md = so->fmt == BENCH_FMT_MD;
    if (md) {
        char *name = str_escape(model, 0); /* a file name is outside text */
        printf("## ctxmax %s\n\nlargest context that runs: **%d** (step %d, up to %d; mem's "
               "estimate: %d; %d probes)\n\n",
               name, c->answer, cp->step, c->max, c->seed, c->n);
        if (cp->full_fill)
            printf("every probe decoded its whole context (--full-fill)\n\n");
        else if (cp->no_check)
            printf("not checked by a full decode (--no-check)\n\n");
        else if (c->checked)
            printf("checked by a full decode at %d%s\n\n", c->answer,
                   c->stepped_down ? " (the search's answer failed it: stepped down)" : "");
        else if (c->searched)
            printf("the full decode of the search's answer %d failed, and %d steps below\n\n",
                   c->searched, c->stepped_down - 1);
        free(name);
        text_table_begin(t, stdout, BENCH_FMT_MD, heads + 1, "rrlrrrll", 8);
    } else if (!t->heads) {
        text_table_begin(t, stdout, BENCH_FMT_CSV, heads, NULL, 9);
    }
    for (int i = 0; i < c->n; i++) {
        const struct ctxmax_probe *p = &c->p[i];
        char c0[16], c1[16], c3[32], c4[32], c5[32];
        snprintf(c0, sizeof(c0), "%d", i + 1);
        snprintf(c1, sizeof(c1), "%u", p->n_ctx);
        snprintf(c3, sizeof(c3), "%.2f", (double)p->rss_peak / 1048576.0);
        snprintf(c4, sizeof(c4), "%.2f", (double)p->gpu_used / 1048576.0);
        snprintf(c5, sizeof(c5), "%.2f", p->time_s);
        char c8[32];
        snprintf(c8, sizeof(c8), "%s%s", ctxmax_probe_fill(p), p->check ? " (check)" : "");
        const char *cells[] = {model, c0, c1, p->ok ? "ok" : "failed", c3, c4, c5, p->reason, c8};
        text_table_row(t, md ? cells + 1 : cells);
    }
    if (md && so->n_models > 1)
        printf("\n");
}

static void on_start(int k, const struct ctxmax_model *c, void *ud)
{
    (void)c;
    struct ui *ui = ud;
    if (k == 0 && ui->several_json)
        printf("[\n");
    ui->so->model = ui->so->models[k];
    char what[96];
    single_opts_what(ui->so, "ctxmax", what, sizeof(what));
    progress_begin(&ui->prog, ui->so->progress, what, "probe", 1);
}

/* one line per probe: what it was, how it went, how long, how many may follow */
static void on_probe(int k, const struct ctxmax_probe *p, int done, int total, void *ud)
{
    (void)k;
    struct ui *ui = ud;
    progress_clear(&ui->prog);
    log_printf("ctxmax: n_ctx %u (probe %d, %s%s): %s%s%s, %.2f s, %d left\n", p->n_ctx, done,
               p->check ? "final check, " : "", ctxmax_probe_fill(p), p->ok ? "ok" : "failed",
               p->ok ? "" : ": ", p->ok ? "" : p->reason, p->time_s, total - done);
    progress_set_total(&ui->prog, total);
    progress_update(&ui->prog, done);
}

/* a model's search ended: its row to the database and stdout */
static int on_row(int k, const struct ctxmax_model *c, void *ud)
{
    struct ui *ui = ud;
    const struct single_opts *so = ui->so;
    const char *model = so->models[k];
    progress_end(&ui->prog);
    cJSON *o = ctxmax_row_json(ui->cp, model, c);
    dbrun_row("ctxmax", o);
    if (ui->several_json) { /* a signal may end the array after any model */
        char *txt = cJSON_Print(o);
        printf("%s%s", k ? ",\n" : "", txt);
        free(txt);
    } else if (so->fmt == BENCH_FMT_JSON || so->fmt == BENCH_FMT_JSONL) {
        char *txt = so->fmt == BENCH_FMT_JSON ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
        printf("%s\n", txt);
        free(txt);
    } else {
        ctxmax_table(so, ui->cp, model, c, &ui->table);
    }
    fflush(stdout);
    cJSON_Delete(o);
    return dbrun_should_stop();
}

int cmd_ctxmax(int argc, char **argv)
{
    struct single_opts so;
    single_opts_init(&so);
    struct memcmd mc;
    memcmd_init(&mc);
    char err[QB_ERR_LEN];
    int step = 256, max = 0;
    uint64_t budget = 0;
    bool full_fill = false, no_check = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool used = false;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(ctxmax_help, stdout);
            return QB_EXIT_OK;
        }
        if (!strcmp(a, "--step") || !strcmp(a, "--max")) {
            int *dst = a[2] == 's' ? &step : &max;
            if (!v || parse_int(v, 1, 1 << 24, dst) < 0)
                return usage_error("ctxmax",
                                   "invalid value '%s' for %s (expected an integer in 1..16777216)",
                                   v ? v : "", a);
            i++;
            continue;
        }
        if (!strcmp(a, "--full-fill") || !strcmp(a, "--no-check")) {
            *(a[2] == 'f' ? &full_fill : &no_check) = true;
            continue;
        }
        if (!strcmp(a, "--budget")) {
            if (!v || parse_size(v, &budget) < 0 || budget == 0)
                return usage_error(
                    "ctxmax", "invalid size '%s' for --budget (expected e.g. 96GiB, 512MiB, 8G)",
                    v ? v : "");
            i++;
            continue;
        }
        int rc = memcmd_flag(&mc, a, v, &used, err);
        if (rc == 0)
            rc = single_opts_flag(&so, a, v, &used, err);
        if (rc < 0)
            return usage_error("ctxmax", "%s", err);
        if (rc == 0)
            return usage_error("ctxmax", "unknown flag '%s'", a);
        if (used)
            i++;
    }
    int rc = single_opts_check(&so, "ctxmax");
    if (rc)
        return rc;
    struct ctxmax_params cp = {
        .step = step, .max = max, .budget = budget, .full_fill = full_fill, .no_check = no_check};
    memcmd_run_params(&mc, &so, &cp.run);
    struct ui ui = {
        .so = &so, .cp = &cp, .several_json = so.fmt == BENCH_FMT_JSON && so.n_models > 1};
    struct ctxmax_events ev = {.on_estimate = memcmd_on_estimate,
                               .on_start = on_start,
                               .on_probe = on_probe,
                               .on_row = on_row,
                               .ud = &ui};
    struct ctxmax_model *cm = xcalloc((size_t)so.n_models, sizeof(*cm));
    int rcs[SINGLE_MAX_MODELS], n_run = 0;
    int ret = ctxmax_run(&cp, so.models, so.n_models, &ev, cm, &n_run, err);
    if (ret == QB_EXIT_USAGE)
        usage_error("ctxmax", "%s", err);
    else if (ret)
        error("%s", err);
    if (!ret && ui.several_json) /* on_start opened it, unless a signal came first */
        printf("%s]\n", n_run ? "\n" : "[\n");
    for (int k = 0; k < n_run; k++)
        rcs[k] = cm[k].answer > 0 ? QB_EXIT_OK : QB_EXIT_FAIL;
    if (!ret && n_run)
        ret = single_exit_code(rcs, n_run);
    for (int k = 0; k < so.n_models; k++)
        ctxmax_model_release(&cm[k]);
    free(cm);
    if (fflush(stdout) != 0 || ferror(stdout))
        return error("cannot write results to stdout");
    return ret;
}
