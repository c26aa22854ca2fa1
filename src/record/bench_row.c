/* bench rows (see bench_row.h). */
#include "bench_row.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void bench_row_release(struct bench_row *r)
{
    free(r->model_filename);
    free(r->samples_ns);
    free(r->pp_ns);
    free(r->tg_ns);
    free(r->ttft_ns);
    free(r->samples_ts);
    cJSON_Delete(r->mem);
    memset(r, 0, sizeof(*r));
}

const char *bench_status_name(enum bench_status s)
{
    switch (s) {
    case BENCH_STATUS_OK: return "ok";
    case BENCH_STATUS_ERROR: return "error";
    case BENCH_STATUS_CRASHED: return "crashed";
    case BENCH_STATUS_TIMEOUT: return "timeout";
    case BENCH_STATUS_LOAD_FAILED: return "load_failed";
    case BENCH_STATUS_OOM: return "oom";
    case BENCH_STATUS_INTERRUPTED: return "interrupted";
    }
    return "?";
}

enum bench_status bench_status_of(enum qb_kind k, bool at_load)
{
    switch (k) {
    case QB_KIND_OK: return BENCH_STATUS_OK;
    case QB_KIND_TIMEOUT: return BENCH_STATUS_TIMEOUT;
    case QB_KIND_CRASH: return BENCH_STATUS_CRASHED;
    case QB_KIND_OOM: return BENCH_STATUS_OOM;
    case QB_KIND_INTERRUPTED: return BENCH_STATUS_INTERRUPTED;
    default: return at_load ? BENCH_STATUS_LOAD_FAILED : BENCH_STATUS_ERROR;
    }
}

/* per repetition: tokens / part (0 when the part is absent); out has r->n entries */
static void part_ts(const struct bench_row *r, int tokens, const uint64_t *ns, double *out)
{
    for (int i = 0; i < r->n; i++)
        out[i] = ns && ns[i] ? 1e9 * tokens / (double)ns[i] : 0;
}

static struct stats part_stats(const struct bench_row *r, int tokens, const uint64_t *ns)
{
    double *ts = xcalloc((size_t)(r->n ? r->n : 1), sizeof(double));
    part_ts(r, tokens, ns, ts);
    struct stats s = stats_compute(ts, (size_t)(tokens > 0 ? r->n : 0));
    free(ts);
    return s;
}

static uint64_t mean_u64(const uint64_t *v, int n)
{
    uint64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    return n ? sum / (uint64_t)n : 0;
}

void bench_row_finish(struct bench_row *r)
{
    const struct pp_tg_params *pt = &r->t.pt;
    free(r->samples_ts);
    r->samples_ts = xcalloc((size_t)(r->n ? r->n : 1), sizeof(double));
    part_ts(r, pt->n_prompt + pt->n_gen, r->samples_ns, r->samples_ts);
    r->ts = stats_compute(r->samples_ts, (size_t)r->n);
    r->pp_ts = part_stats(r, pt->n_prompt, r->pp_ns);
    r->tg_ts = part_stats(r, pt->n_gen, r->tg_ns);
    r->avg_ns = mean_u64(r->samples_ns, r->n);
    r->stddev_ns = 0;
    if (r->n >= 2) {
        double *x = xcalloc((size_t)r->n, sizeof(double));
        for (int i = 0; i < r->n; i++)
            x[i] = (double)r->samples_ns[i];
        struct stats s = stats_compute(x, (size_t)r->n);
        free(x);
        r->stddev_ns = (uint64_t)llround(s.stddev);
    }
    r->ttft_avg_ns = mean_u64(r->ttft_ns, r->n);
    r->t_pp_ns = mean_u64(r->pp_ns, r->n);
    r->t_tg_ns = mean_u64(r->tg_ns, r->n);
    r->noisy = r->status == BENCH_STATUS_OK && stats_noisy(&r->ts);
}

void bench_test_name(const struct bench_row *r, char *buf, size_t n)
{
    const struct pp_tg_params *p = &r->t.pt;
    int k;
    if (p->n_prompt > 0 && p->n_gen == 0)
        k = snprintf(buf, n, "pp%d", p->n_prompt);
    else if (p->n_gen > 0 && p->n_prompt == 0)
        k = snprintf(buf, n, "tg%d", p->n_gen);
    else
        k = snprintf(buf, n, "pp%d+tg%d", p->n_prompt, p->n_gen);
    if (p->n_depth > 0 && k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, " @ d%d", p->n_depth);
}
