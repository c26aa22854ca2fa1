/* batched as a function (see batched.h). */
#include "batched.h"

#include <stdio.h>
#include <string.h>

#include "../util/sig.h"
#include "../util/util.h"
#include "proto.h"
#include "runner.h"

static bool should_stop(const struct batched_sink *s)
{
    return sig_caught() || (s->stop && s->stop(s->ud));
}

/* run one combination t in rn, its row to the sink */
static void run_one(struct runner *rn, const struct work_test *t, const struct batched_sink *s)
{
    char err[QB_ERR_LEN] = "";
    enum bench_status status = BENCH_STATUS_ERROR;
    if (batched_n_kv(&t->bt) > (int)t->cp.n_ctx) {
        snprintf(err, sizeof(err), "needs %d KV cells, the context (-c) has %u",
                 batched_n_kv(&t->bt), t->cp.n_ctx);
        s->row(s->ud, rn, &t->bt, NULL, NULL, status, err);
        return;
    }
    cJSON *req = proto_run_req(t), *resp = NULL;
    struct batched_result r = {0};
    bool ok =
        runner_ensure(rn, &status, err) == 0 && runner_call(rn, req, &resp, &status, err) == 0;
    if (ok && proto_parse_batched(resp, &r, err) < 0) {
        status = BENCH_STATUS_ERROR; /* a malformed answer */
        ok = false;
    }
    if (ok)
        s->row(s->ud, rn, &t->bt, &r, cJSON_GetObjectItemCaseSensitive(resp, "mem"),
               BENCH_STATUS_OK, "");
    else
        s->row(s->ud, rn, &t->bt, NULL, NULL, status, err);
    batched_result_release(&r);
    cJSON_Delete(req);
    cJSON_Delete(resp);
}

void run_batched(const struct run_load *ld, const struct engine_ctx_params *cp,
                 const struct batched_grid *g, const struct batched_sink *sink)
{
    int max_pl = 1;
    for (size_t i = 0; i < g->n_pl; i++)
        max_pl = g->pl[i] > max_pl ? g->pl[i] : max_pl;
    struct runner rn;
    runner_init(&rn, ld->model, &ld->mp, &ld->wl, ld->verbose, ld->timeout_s);
    for (size_t a = 0; a < g->n_pp && !should_stop(sink); a++)
        for (size_t b = 0; b < g->n_tg && !should_stop(sink); b++)
            for (size_t c = 0; c < g->n_pl && !should_stop(sink); c++) {
                struct work_test t;
                memset(&t, 0, sizeof(t));
                t.kind = WORK_BATCHED;
                t.cp = *cp;
                t.cp.poll = -1;                    /* llama-batched-bench attaches no threadpool */
                t.cp.n_seq_max = (uint32_t)max_pl; /* as batched-bench: one context for all */
                t.pt.n_batch = (int)cp->n_batch;
                t.pt.reps = 1;
                t.pt.n_threads = cp->n_threads;
                t.pt.no_warmup = g->base.no_warmup;
                t.pt.seed = g->base.seed;
                t.bt = g->base;
                t.bt.pp = g->pp[a];
                t.bt.tg = g->tg[b];
                t.bt.pl = g->pl[c];
                t.bt.n_batch = (int)cp->n_batch;
                t.bt.n_ctx = (int)cp->n_ctx;
                t.bt.n_threads = cp->n_threads;
                run_one(&rn, &t, sink);
            }
    runner_release(&rn);
}
