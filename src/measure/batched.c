/* batched measurement (see batched.h). Mirrors llama-batched-bench: prompt chunks are
 * not synchronized individually (one synchronize at the end); each generation step is. */
#include "batched.h"

#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"
#include "../util/rng.h"
#include "../util/util.h"

int batched_n_kv(const struct batched_params *p)
{
    return p->shared ? p->pl * p->pp + p->pl * p->tg : p->pl * (p->pp + p->tg);
}

void batched_speeds(const struct batched_params *p, uint64_t pp_ns, uint64_t tg_ns, double *s_pp,
                    double *s_tg, double *s)
{
    double prompt = p->shared ? p->pp : (double)p->pl * p->pp, gen = (double)p->pl * p->tg;
    *s_pp = pp_ns ? prompt / ((double)pp_ns / 1e9) : 0;
    *s_tg = tg_ns ? gen / ((double)tg_ns / 1e9) : 0;
    *s = pp_ns + tg_ns ? (prompt + gen) / ((double)(pp_ns + tg_ns) / 1e9) : 0;
}

void batched_result_release(struct batched_result *r)
{
    free(r->pp_ns);
    free(r->tg_ns);
    free(r->ttft_ns);
    memset(r, 0, sizeof(*r));
}

static int decode_chunks(struct engine *e, struct engine_tok *t, int n, int n_batch, bool sync,
                         char *err)
{
    for (int i = 0; i < n; i += n_batch) {
        int k = n - i < n_batch ? n - i : n_batch;
        if (engine_decode_tokens(e, t + i, k, err) < 0)
            return -1;
        if (sync)
            engine_synchronize(e);
    }
    return 0;
}

int batched_run(struct engine *e, const struct batched_params *p, struct batched_result *r,
                char *err)
{
    struct engine_model_info mi;
    uint64_t rng = p->seed ? p->seed : 1;
    int n_batch = p->n_batch > 0 ? p->n_batch : 1, reps = p->reps > 0 ? p->reps : 1;
    int n_prompt_tok = (p->shared ? 1 : p->pl) * p->pp;
    int cap = n_prompt_tok > p->pl ? n_prompt_tok : p->pl;
    struct engine_tok *t = NULL;
    int ret = -1;
    memset(r, 0, sizeof(*r));
    r->n_kv = batched_n_kv(p);
    if (p->pp <= 0 || p->tg <= 0 || p->pl <= 0)
        return set_err(err, "PP, TG and B must be above 0");
    if (r->n_kv > p->n_ctx)
        return set_err(err, "needs %d KV cells (B=%d x (PP %d + TG %d)), the context has %d",
                       r->n_kv, p->pl, p->pp, p->tg, p->n_ctx);
    t = xcalloc((size_t)(cap > 16 ? cap : 16), sizeof(*t));
    r->pp_ns = xcalloc((size_t)reps, sizeof(uint64_t));
    r->tg_ns = xcalloc((size_t)reps, sizeof(uint64_t));
    r->ttft_ns = xcalloc((size_t)reps, sizeof(uint64_t));
    engine_model_info(e, &mi);
    engine_set_threads(e, p->n_threads, p->n_threads);
    engine_memory_clear(e);
    if (!p->no_warmup) {
        for (int i = 0; i < 16; i++)
            t[i] =
                (struct engine_tok){(int32_t)(rng_next(&rng) % (uint64_t)mi.n_vocab), i, 0, false};
        if (decode_chunks(e, t, 16, n_batch, true, err) < 0)
            goto out;
    }
    for (int k = 0; k < reps; k++) {
        int n = 0;
        for (int j = 0; j < (p->shared ? 1 : p->pl); j++)
            for (int i = 0; i < p->pp; i++)
                t[n++] = (struct engine_tok){(int32_t)(rng_next(&rng) % (uint64_t)mi.n_vocab), i, j,
                                             i == p->pp - 1};
        engine_memory_clear(e);
        uint64_t t0 = monotime_ns();
        if (decode_chunks(e, t, n, n_batch, false, err) < 0)
            goto out;
        engine_synchronize(e);
        r->pp_ns[k] = monotime_ns() - t0;
        if (p->shared) {
            for (int j = 1; j < p->pl; j++)
                engine_seq_cp(e, 0, j);
            /* as batched-bench: one untimed dummy token applies the copies */
            struct engine_tok d = {(int32_t)(rng_next(&rng) % (uint64_t)mi.n_vocab), p->pp, 0,
                                   true};
            if (decode_chunks(e, &d, 1, n_batch, true, err) < 0 ||
                engine_seq_rm(e, 0, p->pp, -1, err) < 0)
                goto out;
        }
        uint64_t t1 = monotime_ns();
        for (int i = 0; i < p->tg; i++) {
            for (int j = 0; j < p->pl; j++)
                t[j] = (struct engine_tok){(int32_t)(rng_next(&rng) % (uint64_t)mi.n_vocab),
                                           p->pp + i, j, true};
            if (decode_chunks(e, t, p->pl, n_batch, true, err) < 0)
                goto out;
            if (i == 0)
                r->ttft_ns[k] = monotime_ns() - t0;
        }
        r->tg_ns[k] = monotime_ns() - t1;
        r->n = k + 1;
    }
    ret = 0;
out:
    free(t);
    return ret;
}
