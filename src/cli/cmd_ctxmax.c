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
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/sha256.h"
#include "../util/sig.h"
#include "../util/util.h"
#include "cmd.h"
#include "dbrun.h"
#include "memcmd.h"
#include "runner.h"
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
    "  -np, --parallel N           parallel sequences [1]\n" MEMCMD_HELP "\n" QB_EXIT_CODES_HELP;

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

static bool run_probe(const struct memcmd *mc, struct single_opts *so, uint32_t n_ctx,
                      uint64_t budget, struct search *s)
{
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
        if (budget && p->rss_peak > budget) {
            p->ok = false;
            snprintf(p->reason, sizeof(p->reason), "peak RSS %.2f MiB exceeds the budget %.2f MiB",
                     (double)p->rss_peak / 1048576.0, (double)budget / 1048576.0);
        }
    }
    cJSON_Delete(mem);
    if (so->verbose)
        log_printf("ctxmax: probe n_ctx %u: %s%s%s\n", n_ctx, p->ok ? "ok" : "failed",
                   p->ok ? "" : ": ", p->ok ? "" : p->reason);
    return p->ok;
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
    struct memcmd_model m;
    memset(&m, 0, sizeof(m));
    so.cp.n_ctx = (uint32_t)step;
    if ((rc = memcmd_estimate(&mc, &so, &m, "ctxmax")) != 0) {
        memcmd_model_release(&m);
        return rc;
    }
    if (!max) {
        char key[160];
        snprintf(key, sizeof(key), "%s.context_length", gf_get_str(m.f, "general.architecture"));
        max = (int)gf_get_int(m.f, key, 4096);
    }
    if (max < step) {
        memcmd_model_release(&m);
        return usage_error("ctxmax", "--max %d is below --step %d", max, step);
    }
    max = max / step * step;
    const char *dev = m.mp.n_gpus > 0 ? "CUDA0" : "CPU";
    /* the memory the estimate must fit: the budget, or the GPU's free memory */
    uint64_t limit = budget;
    if (m.mp.n_gpus > 0) {
        cJSON *dry = NULL;
        if (memcmd_probe(&mc, &so, true, false, &dry, err) == 0) {
            const cJSON *d;
            cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive(dry, "devices"))
                if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "gpu")) && !limit)
                    limit = (uint64_t)json_num(d, "free");
        }
        cJSON_Delete(dry);
    }
    if (budget) { /* the weights alone (host side) must fit a host budget */
        uint64_t w = 0;
        for (int i = 0; i < m.est.n; i++)
            if (!strcmp(m.est.p[i].dev, "CPU"))
                w += m.est.p[i].model;
        if (w > budget) {
            memcmd_model_release(&m);
            return usage_error("ctxmax",
                               "--budget %.2f MiB is smaller than the weights of '%s' (%.2f MiB)",
                               (double)budget / 1048576.0, so.model, (double)w / 1048576.0);
        }
    }
    /* seed: the largest multiple of step whose estimate fits the limit */
    int seed = max;
    if (limit) {
        int lo = 0, hi = max / step + 1; /* in steps: lo fits (0 = none), hi does not */
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            struct mem_params p = m.mp;
            p.n_ctx = (uint32_t)(mid * step);
            struct mem_estimate e;
            if (mem_estimate(m.f, &p, &e, err) == 0 && mem_total(&e, dev) <= limit)
                lo = mid;
            else
                hi = mid;
        }
        seed = lo ? lo * step : step;
    }
    /* probe the seed; then jump to where the measured memory of that probe, growing by
     * the KV cache's bytes per cell, meets the limit; then gallop (1, 2, 4 .. steps) away
     * from there and bisect. good = largest context that ran, bad = smallest that
     * failed, in units of step. */
    struct search s = {0};
    int top = max / step, good = 0, bad = top + 1, at = seed / step;
    bool ok = run_probe(&mc, &so, (uint32_t)(at * step), budget, &s);
    const struct probe *first = &s.p[0];
    uint64_t metric = budget ? first->rss_peak : first->gpu_used;
    uint64_t per_cell = 0;
    for (int i = 0; i < m.est.n; i++) /* KV bytes per cell on the limited device */
        if (!strcmp(m.est.p[i].dev, dev) && m.est.n_ctx)
            per_cell += m.est.p[i].context / m.est.n_ctx;
    if (ok)
        good = at;
    else
        bad = at;
    if (limit && metric && per_cell && !sig_caught()) {
        double room = ((double)limit - (double)metric) / (double)per_cell / step;
        int pred = at + (int)(room < 0 ? room - 1 : room);
        pred = pred < good + 1 ? good + 1 : pred > bad - 1 ? bad - 1 : pred;
        if (pred >= 1 && pred <= top && pred != at) {
            at = pred;
            ok = run_probe(&mc, &so, (uint32_t)(at * step), budget, &s);
            if (ok)
                good = at;
            else
                bad = at;
        }
    }
    for (int inc = 1; bad - good > 1 && !sig_caught();) { /* gallop away from the last probe */
        int next = ok ? good + inc : bad - inc;
        if (next >= bad || next <= good)
            break;
        bool r = run_probe(&mc, &so, (uint32_t)(next * step), budget, &s);
        if (r)
            good = next;
        else
            bad = next;
        if (r != ok)
            break;
        inc *= 2;
    }
    while (bad - good > 1 && !sig_caught()) {
        int mid = (good + bad) / 2;
        if (run_probe(&mc, &so, (uint32_t)(mid * step), budget, &s))
            good = mid;
        else
            bad = mid;
    }
    int answer = good * step;
    {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "model", so.model);
        cJSON_AddStringToObject(o, "model_filename", so.model);
        char qid[160], qerr[QB_ERR_LEN];
        cJSON_AddStringToObject(o, "model_id", file_quick_id(so.model, qid, qerr) == 0 ? qid : "");
        /* interrupted: the probes that ran, and the largest context that ran so far */
        cJSON_AddStringToObject(o, "status",
                                sig_caught() ? "interrupted"
                                : answer > 0 ? "ok"
                                             : "failed");
        cJSON_AddNumberToObject(o, "n_ctx_max", answer);
        cJSON_AddNumberToObject(o, "step", step);
        cJSON_AddNumberToObject(o, "max", max);
        cJSON_AddNumberToObject(o, "budget_bytes", (double)budget);
        cJSON_AddNumberToObject(o, "limit_bytes", (double)limit);
        cJSON_AddNumberToObject(o, "estimate_n_ctx", seed);
        cJSON_AddNumberToObject(o, "n_ubatch", so.cp.n_ubatch);
        cJSON_AddNumberToObject(o, "n_seq", mc.n_seq);
        cJSON *a = cJSON_AddArrayToObject(o, "probes");
        for (int i = 0; i < s.n; i++) {
            cJSON *p = cJSON_CreateObject();
            cJSON_AddNumberToObject(p, "n_ctx", s.p[i].n_ctx);
            cJSON_AddBoolToObject(p, "ok", s.p[i].ok);
            cJSON_AddStringToObject(p, "reason", s.p[i].reason);
            cJSON_AddNumberToObject(p, "rss_peak", (double)s.p[i].rss_peak);
            cJSON_AddNumberToObject(p, "gpu_used", (double)s.p[i].gpu_used);
            cJSON_AddNumberToObject(p, "time_s", s.p[i].time_s);
            cJSON_AddItemToArray(a, p);
        }
        dbrun_row("ctxmax", o);
        if (so.fmt == BENCH_FMT_JSON || so.fmt == BENCH_FMT_JSONL) {
            char *txt = cJSON_Print(o);
            printf("%s\n", txt);
            free(txt);
        }
        cJSON_Delete(o);
    }
    if (so.fmt != BENCH_FMT_JSON && so.fmt != BENCH_FMT_JSONL) {
        char *model = str_escape(so.model, 0); /* a file name is outside text */
        printf("## ctxmax %s\n\nlargest context that runs: **%d** (step %d, up to %d; mem's "
               "estimate: %d; %d probes)\n\n",
               model, answer, step, max, seed, s.n);
        free(model);
        printf("| # | n_ctx | outcome | peak RSS MiB | GPU used MiB | time s | reason |\n"
               "|---:|---:|---|---:|---:|---:|---|\n");
        for (int i = 0; i < s.n; i++) {
            printf("| %d | %u | %s | %.2f | %.2f | %.2f | ", i + 1, s.p[i].n_ctx,
                   s.p[i].ok ? "ok" : "failed", (double)s.p[i].rss_peak / 1048576.0,
                   (double)s.p[i].gpu_used / 1048576.0, s.p[i].time_s);
            fput_escaped(s.p[i].reason, STR_ESC_MD, stdout); /* llama.cpp's words, a path */
            fputs(" |\n", stdout);
        }
    }
    free(s.p);
    memcmd_model_release(&m);
    return answer > 0 ? QB_EXIT_OK : QB_EXIT_FAIL;
}
