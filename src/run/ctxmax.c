/* ctxmax's search (see ctxmax.h). */
#include "ctxmax.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"
#include "../util/exit.h"
#include "../util/sha256.h"
#include "../util/sig.h"

struct search {
    const struct ctxmax_params *p;
    struct mem_run_params run; /* p->run for this model; cp.n_ctx per probe */
    struct ctxmax_model *c;
    int k;                          /* the model's index */
    int good, bad;                  /* in steps: the largest context that ran, the smallest
                                     * that failed */
    const struct ctxmax_events *ev; /* may be NULL */
};

/* what bisecting the interval left would still take, plus the final check */
static int probes_left(const struct search *s)
{
    int left = 0;
    for (int w = s->bad - s->good; w > 1; w = (w + 1) / 2)
        left++;
    return left + (s->p->full_fill || s->p->no_check ? 0 : 1);
}

/* probe the context at steps (a fresh worker), a full decode or not; ok or not */
static bool probe_at(struct search *s, int at, bool full, bool check)
{
    struct ctxmax_model *c = s->c;
    const uint64_t budget = s->p->budget;
    uint32_t n_ctx = (uint32_t)(at * s->p->step);
    c->p = xrealloc(c->p, (size_t)(c->n + 1) * sizeof(*c->p));
    struct ctxmax_probe *p = &c->p[c->n++];
    memset(p, 0, sizeof(*p));
    p->n_ctx = n_ctx;
    p->full = full;
    p->check = check;
    s->run.cp.n_ctx = n_ctx;
    struct mem_probe mem;
    enum bench_status st;
    uint64_t t0 = monotime_ns();
    int rc = mem_run_probe(&s->run, full ? MEM_PROBE_FILL : MEM_PROBE_DEPTH, &mem, &st, p->reason);
    p->time_s = (double)(monotime_ns() - t0) / 1e9;
    if (rc == 0) {
        p->ok = true;
        p->occupied = mem.occupied;
        p->rss_peak = mem.rss_peak;
        p->gpu_used = mem_probe_gpu_used(&mem);
        if (budget && p->rss_peak > budget) {
            p->ok = false;
            snprintf(p->reason, sizeof(p->reason), "peak RSS %.2f MiB exceeds the budget %.2f MiB",
                     (double)p->rss_peak / 1048576.0, (double)budget / 1048576.0);
        }
    }
    mem_probe_release(&mem);
    return p->ok;
}

/* a probe of the search at steps; good or bad moves to it */
static bool run_probe(struct search *s, int at)
{
    bool ok = probe_at(s, at, s->p->full_fill, false);
    if (ok)
        s->good = at;
    else
        s->bad = at;
    if (s->ev && s->ev->on_probe)
        s->ev->on_probe(s->k, &s->c->p[s->c->n - 1], s->c->n, s->c->n + probes_left(s), s->ev->ud);
    return ok;
}

/* the measured memory (peak RSS under a budget, else GPU memory used) of the search's
 * last probe at steps; 0: none there, or not measured (a crash, an out-of-memory) */
static uint64_t metric_at(const struct search *s, int at)
{
    const struct ctxmax_model *c = s->c;
    for (int i = c->n - 1; i >= 0; i--)
        if (!c->p[i].check && c->p[i].n_ctx == (uint32_t)(at * s->p->step))
            return s->p->budget ? c->p[i].rss_peak : c->p[i].gpu_used;
    return 0;
}

int ctxmax_interpolate(int good, uint64_t m_good, int bad, uint64_t m_bad, uint64_t limit)
{
    if (good < 1 || bad - good < 2 || !m_good || m_bad <= m_good || limit <= m_good ||
        limit >= m_bad)
        return 0;
    double f = (double)(limit - m_good) / (double)(m_bad - m_good);
    int at = good + (int)(f * (double)(bad - good));
    return at <= good ? good + 1 : at >= bad ? bad - 1 : at;
}

/* Memory grows linearly with the context (the KV cache and, without flash attention, KQ
 * per cell), so the line through the measured memory at good and at bad meets the limit
 * near the answer: probe there, then the step beside it that would close the interval;
 * twice at most, while both ends were measured (else galloping and bisecting go on). */
static void interpolate(struct search *s)
{
    const uint64_t limit = s->c->limit;
    for (int k = 0; k < 2 && s->bad - s->good > 1 && !sig_caught(); k++) {
        int at =
            ctxmax_interpolate(s->good, metric_at(s, s->good), s->bad, metric_at(s, s->bad), limit);
        if (!at)
            return;
        int next = run_probe(s, at) ? at + 1 : at - 1;
        if (next > s->good && next < s->bad && !sig_caught())
            run_probe(s, next);
    }
}

/* checks of the answer by a full decode: the answer and this many steps down at most */
#define CTXMAX_CHECKS 4

/* The search's answer (in steps) checked by a real full decode; where it fails, one step
 * down and again, until one passes (at most CTXMAX_CHECKS: then the cheap probes do not
 * tell this model's answer and there is none). The answer in steps. */
static int final_check(struct search *s, int at)
{
    struct ctxmax_model *c = s->c;
    for (int k = 0; at > 0 && k < CTXMAX_CHECKS && !sig_caught(); k++) {
        bool ok = probe_at(s, at, true, true);
        if (s->ev && s->ev->on_probe)
            s->ev->on_probe(s->k, &c->p[c->n - 1], c->n,
                            c->n + (ok || k + 1 == CTXMAX_CHECKS ? 0 : 1), s->ev->ud);
        if (ok) {
            c->checked = true;
            return at;
        }
        at--;
        c->stepped_down++;
    }
    return sig_caught() ? at : 0;
}

/* read run->model, estimate, and check the params against it; 0 or an exit code */
static int prepare(const struct ctxmax_params *cp, struct mem_run_params *run,
                   struct ctxmax_model *c, const struct ctxmax_events *ev, char *err)
{
    const int step = cp->step;
    int max = cp->max, rc;
    run->cp.n_ctx = (uint32_t)step;
    if ((rc = mem_run_estimate(run, &c->m, err)) != 0)
        return rc;
    if (ev && ev->on_estimate)
        ev->on_estimate(&c->m, ev->ud);
    if (!max) {
        char key[160];
        snprintf(key, sizeof(key), "%s.context_length", gf_get_str(c->m.f, "general.architecture"));
        max = (int)gf_get_int(c->m.f, key, 4096);
    }
    if (max < step) {
        set_err(err, "--max %d is below --step %d", max, step);
        return QB_EXIT_USAGE;
    }
    c->max = max / step * step;
    /* the memory the estimate must fit: the budget, or the GPU's free memory */
    c->limit = cp->budget;
    if (c->m.mp.n_gpus > 0) {
        struct mem_probe dry;
        enum bench_status st;
        char perr[QB_ERR_LEN];
        if (mem_run_probe(run, MEM_PROBE_DRY, &dry, &st, perr) == 0)
            for (int i = 0; i < dry.n_dev; i++)
                if (dry.dev[i].gpu && !c->limit)
                    c->limit = dry.dev[i].free;
        mem_probe_release(&dry);
    }
    if (cp->budget) { /* the weights alone (host side) must fit a host budget */
        uint64_t w = 0;
        for (int i = 0; i < c->m.est.n; i++)
            if (!strcmp(c->m.est.p[i].dev, "CPU"))
                w += c->m.est.p[i].model;
        if (w > cp->budget) {
            set_err(err, "--budget %.2f MiB is smaller than the weights of '%s' (%.2f MiB)",
                    (double)cp->budget / 1048576.0, run->model, (double)w / 1048576.0);
            return QB_EXIT_USAGE;
        }
    }
    /* seed: the largest multiple of step whose estimate fits the limit */
    c->seed = c->max;
    if (c->limit) {
        uint32_t fit =
            mem_model_fit(&c->m, (uint32_t)step, (uint32_t)(c->max / step + 1), 0, c->limit);
        c->seed = fit ? (int)fit : step;
    }
    return 0;
}

/* the search for one model until a signal: probes into s->c; its answer (0: none ran) */
static int search(struct search *s)
{
    const struct ctxmax_model *c = s->c;
    const int step = s->p->step, max = c->max;
    const char *dev = mem_model_budget_dev(&c->m);
    /* probe the seed; then jump to where the measured memory of that probe, growing by
     * the KV cache's bytes per cell, meets the limit; then gallop (1, 2, 4 .. steps) away
     * from there and bisect. good = largest context that ran, bad = smallest that
     * failed, in units of step. */
    int top = max / step, at = c->seed / step;
    s->good = 0;
    s->bad = top + 1;
    bool ok = run_probe(s, at);
    const struct ctxmax_probe *first = &c->p[0];
    uint64_t metric = s->p->budget ? first->rss_peak : first->gpu_used;
    uint64_t per_cell = 0;
    for (int i = 0; i < c->m.est.n; i++) /* KV bytes per cell on the limited device */
        if (!strcmp(c->m.est.p[i].dev, dev) && c->m.est.n_ctx)
            per_cell += c->m.est.p[i].context / c->m.est.n_ctx;
    /* or, where more, the estimate's whole growth per cell from one step to the seed: the
     * compute buffers grow with the context too (without flash attention, KQ by n_ubatch
     * x n_head floats per cell) */
    if (at > 1) {
        struct mem_params mp = c->m.mp;
        struct mem_estimate lo, hi;
        char eerr[QB_ERR_LEN];
        mp.n_ctx = (uint32_t)step;
        bool ok_lo = mem_estimate(c->m.f, &mp, &lo, eerr) == 0;
        mp.n_ctx = (uint32_t)(at * step);
        if (ok_lo && mem_estimate(c->m.f, &mp, &hi, eerr) == 0) {
            uint64_t a = mem_total(&lo, dev), b = mem_total(&hi, dev);
            uint64_t grow = b > a ? (b - a) / (uint64_t)((at - 1) * step) : 0;
            if (grow > per_cell)
                per_cell = grow;
        }
    }
    if (c->limit && metric && per_cell && !sig_caught()) {
        double room = ((double)c->limit - (double)metric) / (double)per_cell / step;
        int pred = at + (int)(room < 0 ? room - 1 : room);
        pred = pred < s->good + 1 ? s->good + 1 : pred > s->bad - 1 ? s->bad - 1 : pred;
        if (pred >= 1 && pred <= top && pred != at) {
            at = pred;
            ok = run_probe(s, at);
        }
    }
    interpolate(s);
    /* gallop away from the last probe */
    for (int inc = 1; s->bad - s->good > 1 && !sig_caught();) {
        int next = ok ? s->good + inc : s->bad - inc;
        if (next >= s->bad || next <= s->good)
            break;
        if (run_probe(s, next) != ok)
            break;
        inc *= 2;
    }
    interpolate(s);
    while (s->bad - s->good > 1 && !sig_caught())
        run_probe(s, (s->good + s->bad) / 2);
    s->c->searched = s->good * step;
    if (s->p->full_fill || s->p->no_check || s->good == 0 || sig_caught())
        return s->good * step;
    return final_check(s, s->good) * step;
}

int ctxmax_run(const struct ctxmax_params *p, const char *const *models, int n,
               const struct ctxmax_events *ev, struct ctxmax_model *c, int *n_run, char *err)
{
    struct mem_run_params run = p->run;
    *n_run = 0;
    /* every model's estimate and checks before the first probe */
    for (int k = 0; k < n; k++) {
        run.model = models[k];
        int rc = prepare(p, &run, &c[k], ev, err);
        if (rc)
            return rc;
    }
    for (int k = 0; k < n && !sig_caught(); k++) {
        struct search s = {.p = p, .run = p->run, .c = &c[k], .k = k, .ev = ev};
        s.run.model = models[k];
        if (ev && ev->on_start)
            ev->on_start(k, &c[k], ev->ud);
        c[k].answer = search(&s);
        c[k].interrupted = sig_caught() != 0;
        *n_run = k + 1;
        if (ev && ev->on_row && ev->on_row(k, &c[k], ev->ud))
            break;
    }
    return 0;
}

const char *ctxmax_probe_fill(const struct ctxmax_probe *p)
{
    return p->full ? "full" : p->occupied ? "occupied" : "decoded";
}

void ctxmax_model_release(struct ctxmax_model *c)
{
    mem_model_release(&c->m);
    free(c->p);
    memset(c, 0, sizeof(*c));
}

cJSON *ctxmax_row_json(const struct ctxmax_params *cp, const char *model,
                       const struct ctxmax_model *c)
{
    const int answer = c->answer;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model", model);
    cJSON_AddStringToObject(o, "model_filename", model);
    char qid[160], qerr[QB_ERR_LEN];
    cJSON_AddStringToObject(o, "model_id", file_quick_id(model, qid, qerr) == 0 ? qid : "");
    /* interrupted: the probes that ran, and the largest context that ran so far */
    cJSON_AddStringToObject(o, "status",
                            c->interrupted ? "interrupted"
                            : answer > 0   ? "ok"
                                           : "failed");
    cJSON_AddNumberToObject(o, "n_ctx_max", answer);
    cJSON_AddNumberToObject(o, "searched_n_ctx", c->searched);
    cJSON_AddBoolToObject(o, "full_fill", cp->full_fill);
    cJSON_AddBoolToObject(o, "no_check", cp->no_check);
    cJSON_AddBoolToObject(o, "checked", c->checked);
    cJSON_AddNumberToObject(o, "stepped_down", c->stepped_down);
    cJSON_AddNumberToObject(o, "step", cp->step);
    cJSON_AddNumberToObject(o, "max", c->max);
    cJSON_AddNumberToObject(o, "budget_bytes", (double)cp->budget);
    cJSON_AddNumberToObject(o, "limit_bytes", (double)c->limit);
    cJSON_AddNumberToObject(o, "estimate_n_ctx", c->seed);
    cJSON_AddNumberToObject(o, "n_ubatch", cp->run.cp.n_ubatch);
    cJSON_AddNumberToObject(o, "n_seq", cp->run.cp.n_seq_max);
    cJSON *a = cJSON_AddArrayToObject(o, "probes");
    for (int i = 0; i < c->n; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "n_ctx", c->p[i].n_ctx);
        cJSON_AddBoolToObject(p, "ok", c->p[i].ok);
        cJSON_AddStringToObject(p, "reason", c->p[i].reason);
        cJSON_AddNumberToObject(p, "rss_peak", (double)c->p[i].rss_peak);
        cJSON_AddNumberToObject(p, "gpu_used", (double)c->p[i].gpu_used);
        cJSON_AddNumberToObject(p, "time_s", c->p[i].time_s);
        cJSON_AddStringToObject(p, "fill", ctxmax_probe_fill(&c->p[i]));
        cJSON_AddBoolToObject(p, "check", c->p[i].check);
        cJSON_AddItemToArray(a, p);
    }
    return o;
}
