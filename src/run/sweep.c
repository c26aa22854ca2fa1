/* sweep as a function (see sweep.h). */
#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../record/fields.h"
#include "../record/memsum.h"
#include "../util/json.h"
#include "../util/stats.h"
#include "../util/util.h"
#include "proto.h"
#include "runner.h"

static void on_units(long done, long total, void *ud)
{
    const struct sweep_sink *s = ud;
    s->units(s->ud, done, total);
}

int run_sweep(const struct run_load *ld, const struct engine_ctx_params *cp,
              const struct sweep_params *sp, const struct sweep_sink *sink, uint64_t *wall_ns,
              int *n_points, enum bench_status *status, char *err)
{
    err[0] = '\0';
    struct work_test t;
    memset(&t, 0, sizeof(t));
    t.kind = WORK_SWEEP;
    t.cp = *cp;
    t.pt.n_batch = (int)cp->n_batch;
    t.pt.reps = 1;
    t.pt.n_threads = cp->n_threads;
    t.pt.no_warmup = sp->no_warmup;
    t.pt.seed = sp->seed;
    t.sw = *sp;
    t.sw.n_ctx = (int)cp->n_ctx;
    t.sw.n_ubatch = (int)cp->n_ubatch;
    t.sw.n_threads = cp->n_threads;
    struct runner rn;
    runner_init(&rn, ld->model, &ld->mp, &ld->wl, ld->verbose, ld->timeout_s);
    if (sink->units) {
        rn.on_units = on_units;
        rn.units_ud = (void *)sink;
    }
    *status = BENCH_STATUS_ERROR;
    *wall_ns = 0;
    *n_points = 0;
    cJSON *req = proto_run_req(&t), *resp = NULL;
    struct sweep_result r = {0};
    int ret = 0;
    bool ok =
        runner_ensure(&rn, status, err) == 0 && runner_call(&rn, req, &resp, status, err) == 0;
    if (ok && proto_parse_sweep(resp, &r, err) < 0) {
        *status = BENCH_STATUS_ERROR; /* a malformed answer */
        ok = false;
    }
    if (!ok) {
        sink->point(sink->ud, &rn, NULL, NULL, *status, err);
        ret = -1;
    } else {
        *status = BENCH_STATUS_OK;
        *wall_ns = r.wall_ns;
        *n_points = r.n_points;
        const cJSON *mem = cJSON_GetObjectItemCaseSensitive(resp, "mem");
        for (int i = 0; i < r.n_points && !(sink->stop && sink->stop(sink->ud)); i++)
            sink->point(sink->ud, &rn, &r.points[i], mem, BENCH_STATUS_OK, "");
    }
    sweep_result_release(&r);
    cJSON_Delete(req);
    cJSON_Delete(resp);
    runner_release(&rn);
    return ret;
}

/* mean seconds and mean ± sd of tokens/s over the samples; whether they are noisy */
static bool add_speed(cJSON *o, const char *t_key, const char *s_key, int tokens,
                      const uint64_t *ns, int n)
{
    double *ts = xcalloc((size_t)(n ? n : 1), sizeof(double));
    double sum_s = 0;
    for (int i = 0; i < n; i++) {
        ts[i] = ns[i] ? 1e9 * tokens / (double)ns[i] : 0;
        sum_s += (double)ns[i] / 1e9;
    }
    struct stats s = stats_compute(ts, (size_t)n);
    char sd[32];
    snprintf(sd, sizeof(sd), "%s_sd", s_key);
    cJSON_AddNumberToObject(o, t_key, n ? sum_s / n : 0);
    cJSON_AddNumberToObject(o, s_key, s.mean);
    cJSON_AddNumberToObject(o, sd, s.stddev);
    free(ts);
    return stats_noisy(&s);
}

cJSON *sweep_row_json(const struct sweep_row_args *a, const struct runner *rn,
                      const struct sweep_point *pt, const cJSON *mem, const char *status,
                      const char *error)
{
    cJSON *row = cJSON_CreateObject();
    const uint64_t *pp_ns = pt ? pt->pp_ns : NULL, *tg_ns = pt ? pt->tg_ns : NULL;
    int n = pt ? pt->n : 0, pp = (int)a->cp->n_ubatch, tg = a->sp->n_gen;
    cJSON_AddNumberToObject(row, "n_kv", pt ? pt->n_kv : 0);
    cJSON_AddNumberToObject(row, "pp", pp);
    cJSON_AddNumberToObject(row, "tg", tg);
    bool noisy = add_speed(row, "t_pp", "speed_pp", pp, pp_ns, n);
    noisy |= add_speed(row, "t_tg", "speed_tg", tg, tg_ns, n);
    cJSON_AddItemToObject(row, "samples_pp_ns", json_u64_array(pp_ns, n));
    cJSON_AddItemToObject(row, "samples_tg_ns", json_u64_array(tg_ns, n));
    /* S_PP or S_TG too spread over -r (the 95% CI half-width above 5% of the mean) */
    cJSON_AddBoolToObject(row, "noisy", noisy);
    cJSON_AddStringToObject(row, "status", status);
    cJSON_AddStringToObject(row, "error", error);
    row_settings_json(a->mp, a->cp, a->sp->reps, a->sp->seed, row);
    runner_row_meta(rn, row);
    struct mem_summary ms;
    mem_summary_from(mem, &ms);
    mem_summary_add(row, &ms, mem);
    cJSON_AddNumberToObject(row, "sweep_wall_ns", (double)a->wall_ns);
    return row;
}
