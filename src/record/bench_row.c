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

void bench_row_part_ts(const struct bench_row *r, int tokens, const uint64_t *ns, double *out)
{
    for (int i = 0; i < r->n; i++)
        out[i] = ns && ns[i] ? 1e9 * tokens / (double)ns[i] : 0;
}

void bench_row_ts(const struct bench_row *r, double *out)
{
    bench_row_part_ts(r, r->t.pt.n_prompt + r->t.pt.n_gen, r->samples_ns, out);
}

struct stats bench_row_stats(const struct bench_row *r)
{
    double *ts = xcalloc((size_t)(r->n ? r->n : 1), sizeof(double));
    bench_row_ts(r, ts);
    struct stats s = stats_compute(ts, (size_t)r->n);
    free(ts);
    return s;
}

void bench_row_finish(struct bench_row *r)
{
    struct stats s = bench_row_stats(r);
    r->noisy = r->status == BENCH_STATUS_OK && stats_noisy(&s);
}

uint64_t bench_row_avg_ns(const struct bench_row *r)
{
    if (r->n == 0)
        return 0;
    uint64_t sum = 0;
    for (int i = 0; i < r->n; i++)
        sum += r->samples_ns[i];
    return sum / (uint64_t)r->n;
}

uint64_t bench_row_stddev_ns(const struct bench_row *r)
{
    if (r->n < 2)
        return 0;
    double *x = xcalloc((size_t)r->n, sizeof(double));
    for (int i = 0; i < r->n; i++)
        x[i] = (double)r->samples_ns[i];
    struct stats s = stats_compute(x, (size_t)r->n);
    free(x);
    return (uint64_t)llround(s.stddev);
}
