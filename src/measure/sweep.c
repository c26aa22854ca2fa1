/* sweep measurement (see sweep.h). */
#include "sweep.h"

#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"
#include "../util/rng.h"
#include "../util/util.h"

/* decode n tokens of sequence 0 at positions pos.. as one batch, logits for the last */
static int decode_at(struct engine *e, struct engine_tok *buf, int pos, int n, int32_t n_vocab,
                     uint64_t *rng, char *err)
{
    for (int i = 0; i < n; i++) {
        buf[i].token = (int32_t)(rng_next(rng) % (uint64_t)n_vocab);
        buf[i].pos = pos + i;
        buf[i].seq = 0;
        buf[i].logits = i == n - 1;
    }
    if (engine_decode_tokens(e, buf, n, err) < 0)
        return -1;
    engine_synchronize(e);
    return 0;
}

void sweep_result_release(struct sweep_result *r)
{
    for (int i = 0; i < r->n_points; i++) {
        free(r->points[i].pp_ns);
        free(r->points[i].tg_ns);
    }
    free(r->points);
    memset(r, 0, sizeof(*r));
}

int sweep_run(struct engine *e, const struct sweep_params *p, struct sweep_result *r, char *err)
{
    struct engine_model_info mi;
    uint64_t rng = p->seed ? p->seed : 1;
    int ub = p->n_ubatch, reps = p->reps > 0 ? p->reps : 1, stride = p->stride > 0 ? p->stride : 1;
    struct engine_tok *buf = xcalloc((size_t)(ub > 1 ? ub : 1), sizeof(*buf));
    int ret = -1;
    memset(r, 0, sizeof(*r));
    engine_model_info(e, &mi);
    if (mi.n_vocab <= 0 || ub <= 0) {
        set_err(err, mi.n_vocab <= 0 ? "model has an empty vocabulary" : "ubatch must be > 0");
        goto out;
    }
    engine_set_threads(e, p->n_threads, p->n_threads);
    engine_memory_clear(e);
    uint64_t t_start = monotime_ns();
    if (!p->no_warmup) {
        struct engine_tok w = {mi.add_bos ? mi.bos : 0, 0, 0, true};
        if (engine_decode_tokens(e, &w, 1, err) < 0)
            goto out;
        engine_synchronize(e);
        engine_memory_clear(e);
    }
    const int n_steps = (p->n_ctx + ub - 1) / ub, n_timed = (n_steps + stride - 1) / stride;
    for (int n_kv = 0, step = 0; n_kv < p->n_ctx; n_kv += ub, step++) {
        if (step % stride != 0) {
            /* an untimed fill to reach the next measured depth */
            if (decode_at(e, buf, n_kv, ub, mi.n_vocab, &rng, err) < 0)
                goto out;
            continue;
        }
        r->points = xrealloc(r->points, (size_t)(r->n_points + 1) * sizeof(*r->points));
        struct sweep_point *pt = &r->points[r->n_points++];
        pt->n_kv = n_kv;
        pt->n = 0;
        pt->pp_ns = xcalloc((size_t)reps, sizeof(uint64_t));
        pt->tg_ns = xcalloc((size_t)reps, sizeof(uint64_t));
        for (int k = 0; k < reps; k++) {
            uint64_t t0 = monotime_ns();
            for (int i = 0; i < p->n_gen; i++)
                if (decode_at(e, buf, n_kv + i, 1, mi.n_vocab, &rng, err) < 0)
                    goto out;
            pt->tg_ns[k] = monotime_ns() - t0;
            if (p->n_gen > 0 && engine_seq_rm(e, 0, n_kv, -1, err) < 0)
                goto out;
        }
        for (int k = 0; k < reps; k++) {
            uint64_t t0 = monotime_ns();
            if (decode_at(e, buf, n_kv, ub, mi.n_vocab, &rng, err) < 0)
                goto out;
            pt->pp_ns[k] = monotime_ns() - t0;
            /* keep the last run: it is the next depth's context */
            if (k + 1 < reps && engine_seq_rm(e, 0, n_kv, -1, err) < 0)
                goto out;
            pt->n = k + 1;
        }
        if (p->progress)
            p->progress(p->progress_ud, r->n_points, n_timed);
    }
    r->wall_ns = monotime_ns() - t_start;
    ret = 0;
out:
    free(buf);
    return ret;
}
