/* quantbench ctxmax: the largest context (a multiple of --step) that loads AND runs:
 * each probe is a fresh worker that loads the model, creates the context and decodes it
 * full (the last ubatch and one token at the deepest depth). Seeded with mem's estimate,
 * then galloping from the seed and bisection; a probe that runs out of memory, crashes,
 * times out or (with --budget, on the host) peaks above the budget has failed, and the
 * search goes on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mem/estimate.h"
#include "../report/table.h"
#include "../run/runner.h"
#include "../store/dbrun.h"
#include "../util/clock.h"
#include "../util/json.h"
#include "../util/log.h"
#include "../util/progress.h"
#include "../util/sha256.h"
#include "../util/sig.h"
#include "../util/util.h"
#include "cmd.h"
#include "memcmd.h"
#include "single.h"

static const char ctxmax_help[] =
    "usage: quantbench ctxmax -m MODEL [flags]\n"
    "\n"
    "The largest context that loads and decodes, per configuration. Every probe is a fresh\n"
    "worker: load, create the context, decode it full (the last ubatch and one token at the\n"
    "deepest depth). An out-of-memory, a crash or a timeout fails a probe; the search goes\n"
    "on. The search starts at mem's estimate, gallops away from it and bisects to --step.\n"
    "\n"
    "Flags (defaults in brackets):\n"
    "  --step N                    granularity of the answer [256]\n"
    "  --max N                     largest context to try [the model's training context]\n"
    "  --budget SIZE               host RAM budget (e.g. 8GiB): a probe whose peak RSS\n"
    "                              exceeds it fails (lets the search run on a CPU)\n"
    "  -np, --parallel N           parallel sequences [1]\n"
    "  --progress, --no-progress   probes done with an ETA on stderr [on when stderr is a\n"
    "                              terminal]\n" MEMCMD_HELP "\n"
    "Several models (-m A -m B, -m A,B) are searched one after the other. md: per model the\n"
    "answer and its probes; csv: the probe table, the model first; json: the search's object\n"
    "(with several models an array of them); jsonl: one object per model and line.\n"
    "\n" QB_EXIT_CODES_HELP;

struct probe {
    uint32_t n_ctx;
    bool ok;
    char reason[QB_ERR_LEN];
    uint64_t rss_peak, gpu_used;
    double time_s;
};

struct search {
    struct probe *p;
    int n;
    int good, bad;         /* in steps: the largest context that ran, the smallest that failed */
    int step;              /* --step */
    uint64_t budget;       /* --budget, 0 = none */
    struct progress *prog; /* probes done against the probes the search may still need */
};

/* GPU memory the probe took: free before its load minus free after its decode, summed
 * over the GPUs (other processes' use stays out of it) */
static uint64_t gpu_used(const cJSON *mem)
{
    const cJSON *d, *b;
    double used = 0;
    cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive(mem, "devices")) {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "gpu")))
            continue;
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(d, "name");
        cJSON_ArrayForEach (b, cJSON_GetObjectItemCaseSensitive(mem, "devices_before")) {
            const cJSON *bn = cJSON_GetObjectItemCaseSensitive(b, "name");
            if (cJSON_IsString(name) && cJSON_IsString(bn) &&
                !strcmp(name->valuestring, bn->valuestring))
                used += json_num(b, "free") - json_num(d, "free");
        }
    }
    return used > 0 ? (uint64_t)used : 0;
}

/* probe the context at steps (a fresh worker); good or bad moves to it */
static bool run_probe(const struct memcmd *mc, struct single_opts *so, int at, struct search *s)
{
    uint32_t n_ctx = (uint32_t)(at * s->step);
    s->p = xrealloc(s->p, (size_t)(s->n + 1) * sizeof(*s->p));
    struct probe *p = &s->p[s->n++];
    memset(p, 0, sizeof(*p));
    p->n_ctx = n_ctx;
    so->cp.n_ctx = n_ctx;
    cJSON *mem = NULL;
    uint64_t t0 = monotime_ns();
    int rc = memcmd_probe(mc, so, false, true, &mem, p->reason);
    p->time_s = (double)(monotime_ns() - t0) / 1e9;
    if (rc == 0) {
        p->ok = true;
        p->rss_peak = (uint64_t)json_num(mem, "rss_peak");
        p->gpu_used = gpu_used(mem);
        if (s->budget && p->rss_peak > s->budget) {
            p->ok = false;
            snprintf(p->reason, sizeof(p->reason), "peak RSS %.2f MiB exceeds the budget %.2f MiB",
                     (double)p->rss_peak / 1048576.0, (double)s->budget / 1048576.0);
        }
    }
    cJSON_Delete(mem);
    if (p->ok)
        s->good = at;
    else
        s->bad = at;
    if (so->verbose) {
        progress_clear(s->prog);
        log_printf("ctxmax: probe n_ctx %u: %s%s%s\n", n_ctx, p->ok ? "ok" : "failed",
                   p->ok ? "" : ": ", p->ok ? "" : p->reason);
    }
    /* what bisecting the interval left would still take */
    int left = 0;
    for (int w = s->bad - s->good; w > 1; w = (w + 1) / 2)
        left++;
    progress_set_total(s->prog, s->n + left);
    progress_update(s->prog, s->n);
    return p->ok;
}

/* a model's search: what mem's estimate says, before any probe */
struct ctxmax_model {
    struct memcmd_model m;
    int max;        /* --max, else the training context; a multiple of step */
    uint64_t limit; /* the memory the estimate must fit (budget, or a GPU's free memory) */
    int seed;       /* mem's estimate of the answer */
};

/* read so->model, estimate, and check the flags against it; 0 or an exit code (printed) */
static int ctxmax_prepare(const struct memcmd *mc, struct single_opts *so, int step, int max,
                          uint64_t budget, struct ctxmax_model *c)
{
    char err[QB_ERR_LEN];
    int rc;
    so->cp.n_ctx = (uint32_t)step;
    if ((rc = memcmd_estimate(mc, so, &c->m, "ctxmax")) != 0)
        return rc;
    if (!max) {
        char key[160];
        snprintf(key, sizeof(key), "%s.context_length", gf_get_str(c->m.f, "general.architecture"));
        max = (int)gf_get_int(c->m.f, key, 4096);
    }
    if (max < step)
        return usage_error("ctxmax", "--max %d is below --step %d", max, step);
    c->max = max / step * step;
    const char *dev = c->m.mp.n_gpus > 0 ? "CUDA0" : "CPU";
    /* the memory the estimate must fit: the budget, or the GPU's free memory */
    c->limit = budget;
    if (c->m.mp.n_gpus > 0) {
        cJSON *dry = NULL;
        if (memcmd_probe(mc, so, true, false, &dry, err) == 0) {
            const cJSON *d;
            cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive(dry, "devices"))
                if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "gpu")) && !c->limit)
                    c->limit = (uint64_t)json_num(d, "free");
        }
        cJSON_Delete(dry);
    }
    if (budget) { /* the weights alone (host side) must fit a host budget */
        uint64_t w = 0;
        for (int i = 0; i < c->m.est.n; i++)
            if (!strcmp(c->m.est.p[i].dev, "CPU"))
                w += c->m.est.p[i].model;
        if (w > budget)
            return usage_error("ctxmax",
                               "--budget %.2f MiB is smaller than the weights of '%s' (%.2f MiB)",
                               (double)budget / 1048576.0, so->model, (double)w / 1048576.0);
    }
    /* seed: the largest multiple of step whose estimate fits the limit */
    c->seed = c->max;
    if (c->limit) {
        int lo = 0, hi = c->max / step + 1; /* in steps: lo fits (0 = none), hi does not */
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            struct mem_params p = c->m.mp;
            p.n_ctx = (uint32_t)(mid * step);
            struct mem_estimate e;
            if (mem_estimate(c->m.f, &p, &e, err) == 0 && mem_total(&e, dev) <= c->limit)
                lo = mid;
            else
                hi = mid;
        }
        c->seed = lo ? lo * step : step;
    }
    return 0;
}

/* the search for so->model until a signal: probes into s; the answer (0: none ran) */
static int ctxmax_search(const struct memcmd *mc, struct single_opts *so,
                         const struct ctxmax_model *c, struct search *s)
{
    const int step = s->step, max = c->max;
    const char *dev = c->m.mp.n_gpus > 0 ? "CUDA0" : "CPU";
    /* probe the seed; then jump to where the measured memory of that probe, growing by
     * the KV cache's bytes per cell, meets the limit; then gallop (1, 2, 4 .. steps) away
     * from there and bisect. good = largest context that ran, bad = smallest that
     * failed, in units of step. */
    int top = max / step, at = c->seed / step;
    s->good = 0;
    s->bad = top + 1;
    bool ok = run_probe(mc, so, at, s);
    const struct probe *first = &s->p[0];
    uint64_t metric = s->budget ? first->rss_peak : first->gpu_used;
    uint64_t per_cell = 0;
    for (int i = 0; i < c->m.est.n; i++) /* KV bytes per cell on the limited device */
        if (!strcmp(c->m.est.p[i].dev, dev) && c->m.est.n_ctx)
            per_cell += c->m.est.p[i].context / c->m.est.n_ctx;
    if (c->limit && metric && per_cell && !sig_caught()) {
        double room = ((double)c->limit - (double)metric) / (double)per_cell / step;
        int pred = at + (int)(room < 0 ? room - 1 : room);
        pred = pred < s->good + 1 ? s->good + 1 : pred > s->bad - 1 ? s->bad - 1 : pred;
        if (pred >= 1 && pred <= top && pred != at) {
            at = pred;
            ok = run_probe(mc, so, at, s);
        }
    }
    /* gallop away from the last probe */
    for (int inc = 1; s->bad - s->good > 1 && !sig_caught();) {
        int next = ok ? s->good + inc : s->bad - inc;
        if (next >= s->bad || next <= s->good)
            break;
        if (run_probe(mc, so, next, s) != ok)
            break;
        inc *= 2;
    }
    while (s->bad - s->good > 1 && !sig_caught())
        run_probe(mc, so, (s->good + s->bad) / 2, s);
    return s->good * step;
}

static cJSON *ctxmax_json(const struct single_opts *so, const struct memcmd *mc,
                          const struct ctxmax_model *c, const struct search *s, int answer)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model", so->model);
    cJSON_AddStringToObject(o, "model_filename", so->model);
    char qid[160], qerr[QB_ERR_LEN];
    cJSON_AddStringToObject(o, "model_id", file_quick_id(so->model, qid, qerr) == 0 ? qid : "");
    /* interrupted: the probes that ran, and the largest context that ran so far */
    cJSON_AddStringToObject(o, "status",
                            sig_caught() ? "interrupted"
                            : answer > 0 ? "ok"
                                         : "failed");
    cJSON_AddNumberToObject(o, "n_ctx_max", answer);
    cJSON_AddNumberToObject(o, "step", s->step);
    cJSON_AddNumberToObject(o, "max", c->max);
    cJSON_AddNumberToObject(o, "budget_bytes", (double)s->budget);
    cJSON_AddNumberToObject(o, "limit_bytes", (double)c->limit);
    cJSON_AddNumberToObject(o, "estimate_n_ctx", c->seed);
    cJSON_AddNumberToObject(o, "n_ubatch", so->cp.n_ubatch);
    cJSON_AddNumberToObject(o, "n_seq", mc->n_seq);
    cJSON *a = cJSON_AddArrayToObject(o, "probes");
    for (int i = 0; i < s->n; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "n_ctx", s->p[i].n_ctx);
        cJSON_AddBoolToObject(p, "ok", s->p[i].ok);
        cJSON_AddStringToObject(p, "reason", s->p[i].reason);
        cJSON_AddNumberToObject(p, "rss_peak", (double)s->p[i].rss_peak);
        cJSON_AddNumberToObject(p, "gpu_used", (double)s->p[i].gpu_used);
        cJSON_AddNumberToObject(p, "time_s", s->p[i].time_s);
        cJSON_AddItemToArray(a, p);
    }
    return o;
}

/* md: a section per model with its probes; csv: the same table, the model first, one
 * header for all models */
static void ctxmax_table(const struct single_opts *so, const struct ctxmax_model *c,
                         const struct search *s, int answer, struct text_table *t)
{
    static const char *const heads[] = {
        "model", "#", "n_ctx", "outcome", "peak RSS MiB", "GPU used MiB", "time s", "reason"};
    bool md = so->fmt == BENCH_FMT_MD;
    if (md) {
        char *model = str_escape(so->model, 0); /* a file name is outside text */
        printf("## ctxmax %s\n\nlargest context that runs: **%d** (step %d, up to %d; mem's "
               "estimate: %d; %d probes)\n\n",
               model, answer, s->step, c->max, c->seed, s->n);
        free(model);
        text_table_begin(t, stdout, BENCH_FMT_MD, heads + 1, "rrlrrrl", 7);
    } else if (!t->heads) {
        text_table_begin(t, stdout, BENCH_FMT_CSV, heads, NULL, 8);
    }
    for (int i = 0; i < s->n; i++) {
        char c0[16], c1[16], c3[32], c4[32], c5[32];
        snprintf(c0, sizeof(c0), "%d", i + 1);
        snprintf(c1, sizeof(c1), "%u", s->p[i].n_ctx);
        snprintf(c3, sizeof(c3), "%.2f", (double)s->p[i].rss_peak / 1048576.0);
        snprintf(c4, sizeof(c4), "%.2f", (double)s->p[i].gpu_used / 1048576.0);
        snprintf(c5, sizeof(c5), "%.2f", s->p[i].time_s);
        const char *cells[] = {so->model, c0, c1, s->p[i].ok ? "ok" : "failed",
                               c3,        c4, c5, s->p[i].reason};
        text_table_row(t, md ? cells + 1 : cells);
    }
    if (md && so->n_models > 1)
        printf("\n");
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
    /* every model's estimate and flag checks before the first probe */
    struct ctxmax_model *cm = xcalloc((size_t)so.n_models, sizeof(*cm));
    int rcs[SINGLE_MAX_MODELS], ret = QB_EXIT_OK, n_run = 0;
    for (int k = 0; k < so.n_models && !ret; k++) {
        so.model = so.models[k];
        ret = ctxmax_prepare(&mc, &so, step, max, budget, &cm[k]);
    }
    struct text_table table = {0};
    const bool several_json = so.fmt == BENCH_FMT_JSON && so.n_models > 1;
    if (!ret && several_json)
        printf("[\n");
    for (int k = 0; k < so.n_models && !ret && !dbrun_should_stop(); k++) {
        so.model = so.models[k];
        char what[96];
        single_opts_what(&so, "ctxmax", what, sizeof(what));
        struct progress prog;
        progress_begin(&prog, so.progress, what, "probe", 1);
        struct search s = {.step = step, .budget = budget, .prog = &prog};
        int answer = ctxmax_search(&mc, &so, &cm[k], &s);
        progress_end(&prog);
        cJSON *o = ctxmax_json(&so, &mc, &cm[k], &s, answer);
        dbrun_row("ctxmax", o);
        if (several_json) { /* a signal may end the array after any model */
            char *txt = cJSON_Print(o);
            printf("%s%s", k ? ",\n" : "", txt);
            free(txt);
        } else if (so.fmt == BENCH_FMT_JSON || so.fmt == BENCH_FMT_JSONL) {
            char *txt = so.fmt == BENCH_FMT_JSON ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
            printf("%s\n", txt);
            free(txt);
        } else {
            ctxmax_table(&so, &cm[k], &s, answer, &table);
        }
        fflush(stdout);
        cJSON_Delete(o);
        free(s.p);
        rcs[k] = answer > 0 ? QB_EXIT_OK : QB_EXIT_FAIL;
        n_run = k + 1;
    }
    if (!ret && several_json)
        printf("%s]\n", n_run ? "\n" : "");
    if (!ret && n_run)
        ret = single_exit_code(rcs, n_run);
    for (int k = 0; k < so.n_models; k++)
        memcmd_model_release(&cm[k].m);
    free(cm);
    if (fflush(stdout) != 0 || ferror(stdout))
        return error("cannot write results to stdout");
    return ret;
}
