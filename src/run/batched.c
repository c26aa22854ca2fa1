/* batched as a function (see batched.h). */
#include "batched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../record/fields.h"
#include "../record/memsum.h"
#include "../util/json.h"
#include "../util/sig.h"
#include "../util/stats.h"
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

/* mean seconds and mean ± sd of the three speeds over the repetitions */
static void speeds(const struct batched_params *bp, const uint64_t *pp_ns, const uint64_t *tg_ns,
                   int n, double t[3], struct stats st[3])
{
    double *v[3];
    for (int k = 0; k < 3; k++) {
        v[k] = xcalloc((size_t)(n ? n : 1), sizeof(double));
        t[k] = 0;
    }
    for (int i = 0; i < n; i++) {
        batched_speeds(bp, pp_ns[i], tg_ns[i], &v[0][i], &v[1][i], &v[2][i]);
        t[0] += (double)pp_ns[i] / 1e9 / n;
        t[1] += (double)tg_ns[i] / 1e9 / n;
        t[2] += (double)(pp_ns[i] + tg_ns[i]) / 1e9 / n;
    }
    for (int k = 0; k < 3; k++) {
        st[k] = stats_compute(v[k], (size_t)n);
        free(v[k]);
    }
}

cJSON *batched_row_json(const struct engine_model_params *mp, const struct engine_ctx_params *cp,
                        const struct runner *rn, const struct batched_params *bp,
                        const struct batched_result *r, const cJSON *mem, const char *status,
                        const char *error)
{
    cJSON *row = cJSON_CreateObject();
    const uint64_t *pp_ns = r ? r->pp_ns : NULL, *tg_ns = r ? r->tg_ns : NULL,
                   *ttft = r ? r->ttft_ns : NULL;
    int n = r ? r->n : 0;
    double t[3];
    struct stats st[3];
    speeds(bp, pp_ns, tg_ns, n, t, st);
    cJSON_AddNumberToObject(row, "n_kv_max", cp->n_ctx);
    cJSON_AddNumberToObject(row, "n_batch", cp->n_batch);
    cJSON_AddNumberToObject(row, "n_ubatch", cp->n_ubatch);
    cJSON_AddNumberToObject(row, "flash_attn", cp->flash_attn);
    cJSON_AddNumberToObject(row, "is_pp_shared", bp->shared);
    cJSON_AddNumberToObject(row, "n_gpu_layers", mp->n_gpu_layers);
    cJSON_AddNumberToObject(row, "n_threads", cp->n_threads);
    cJSON_AddNumberToObject(row, "n_threads_batch", cp->n_threads_batch);
    cJSON_AddNumberToObject(row, "pp", bp->pp);
    cJSON_AddNumberToObject(row, "tg", bp->tg);
    cJSON_AddNumberToObject(row, "pl", bp->pl);
    cJSON_AddNumberToObject(row, "n_kv", batched_n_kv(bp));
    cJSON_AddNumberToObject(row, "t_pp", t[0]);
    cJSON_AddNumberToObject(row, "speed_pp", st[0].mean);
    cJSON_AddNumberToObject(row, "t_tg", t[1]);
    cJSON_AddNumberToObject(row, "speed_tg", st[1].mean);
    cJSON_AddNumberToObject(row, "t", t[2]);
    cJSON_AddNumberToObject(row, "speed", st[2].mean);
    cJSON_AddNumberToObject(row, "speed_pp_sd", st[0].stddev);
    cJSON_AddNumberToObject(row, "speed_tg_sd", st[1].stddev);
    cJSON_AddNumberToObject(row, "speed_sd", st[2].stddev);
    /* a speed too spread over -r (the 95% CI half-width above 5% of the mean) */
    cJSON_AddBoolToObject(row, "noisy",
                          stats_noisy(&st[0]) || stats_noisy(&st[1]) || stats_noisy(&st[2]));
    uint64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += ttft[i];
    cJSON_AddNumberToObject(row, "ttft_ns", n ? (double)(sum / (uint64_t)n) : 0);
    cJSON_AddItemToObject(row, "samples_pp_ns", json_u64_array(pp_ns, n));
    cJSON_AddItemToObject(row, "samples_tg_ns", json_u64_array(tg_ns, n));
    cJSON_AddItemToObject(row, "samples_ttft_ns", json_u64_array(ttft, n));
    cJSON_AddStringToObject(row, "status", status);
    cJSON_AddStringToObject(row, "error", error);
    row_settings_json(mp, cp, bp->reps, bp->seed, row);
    runner_row_meta(rn, row);
    struct mem_summary ms;
    mem_summary_from(mem, &ms);
    mem_summary_add(row, &ms, mem);
    return row;
}
