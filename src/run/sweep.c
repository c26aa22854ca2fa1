/* sweep as a function (see sweep.h). */
#include "sweep.h"

#include <string.h>

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
