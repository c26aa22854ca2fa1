/* pp / tg measurement (see pp_tg.h). */
#include "pp_tg.h"

#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"
#include "../util/rng.h"
#include "../util/stats.h"
#include "../util/util.h"

static int32_t rand_token(uint64_t *s, int32_t n_vocab)
{
    return (int32_t)(rng_next(s) % (uint64_t)n_vocab);
}

static int run_prompt(struct engine *e, const struct engine_model_info *mi, int n_prompt,
                      int n_batch, uint64_t *rng, int32_t *tokens, char *err)
{
    int done = 0;
    while (done < n_prompt) {
        int n = n_prompt - done < n_batch ? n_prompt - done : n_batch;
        tokens[0] = done == 0 && mi->add_bos ? mi->bos : rand_token(rng, mi->n_vocab);
        for (int i = 1; i < n; i++)
            tokens[i] = rand_token(rng, mi->n_vocab);
        if (engine_decode(e, tokens, n, err) < 0)
            return -1;
        done += n;
    }
    engine_synchronize(e);
    return 0;
}

/* first_ns: set to the time after the first token when not NULL */
static int run_gen(struct engine *e, const struct engine_model_info *mi, int n_gen, uint64_t *rng,
                   uint64_t t0, uint64_t *first_ns, char *err)
{
    int32_t tok = mi->add_bos ? mi->bos : rand_token(rng, mi->n_vocab);
    for (int i = 0; i < n_gen; i++) {
        if (engine_decode(e, &tok, 1, err) < 0)
            return -1;
        engine_synchronize(e);
        if (i == 0 && first_ns)
            *first_ns = monotime_ns() - t0;
        tok = rand_token(rng, mi->n_vocab);
    }
    return 0;
}

double pp_tg_ts(const struct pp_tg_params *p, uint64_t ns)
{
    return ns ? 1e9 * (double)(p->n_prompt + p->n_gen) / (double)ns : 0;
}

void pp_tg_result_release(struct pp_tg_result *r)
{
    free(r->total_ns);
    free(r->pp_ns);
    free(r->tg_ns);
    free(r->ttft_ns);
    memset(r, 0, sizeof(*r));
}

void depth_cache_release(struct depth_cache *dc)
{
    free(dc->buf);
    dc->buf = NULL;
    dc->n = 0;
    dc->depth = 0;
}

const char *pp_tg_stop_name(enum pp_tg_stop s)
{
    switch (s) {
    case PP_TG_STOP_REPS: return "reps";
    case PP_TG_STOP_CI: return "ci";
    case PP_TG_STOP_TIME: return "time";
    }
    return "?";
}

static void grow(struct pp_tg_result *r, int *cap, int need)
{
    if (need <= *cap)
        return;
    *cap = *cap ? 2 * *cap : 8;
    if (*cap < need)
        *cap = need;
    size_t sz = (size_t)*cap * sizeof(uint64_t);
    r->total_ns = xrealloc(r->total_ns, sz);
    r->pp_ns = xrealloc(r->pp_ns, sz);
    r->tg_ns = xrealloc(r->tg_ns, sz);
    r->ttft_ns = xrealloc(r->ttft_ns, sz);
}

/* Put the depth into the (cleared) memory: from the cache when it holds this depth and
 * the context accepts the snapshot, else by decoding it and snapshotting the result. */
static int prepare_depth(struct engine *e, const struct engine_model_info *mi,
                         const struct pp_tg_params *p, struct depth_cache *dc, uint64_t *rng,
                         int32_t *tokens, struct pp_tg_result *r, char *err)
{
    char ignored[QB_ERR_LEN];
    if (dc->buf && dc->depth == p->n_depth &&
        engine_seq_restore(e, 0, dc->buf, dc->n, ignored) == 0)
        return 0;
    /* a snapshot from an incompatible context (other cache type, say) is refilled */
    engine_memory_clear(e);
    depth_cache_release(dc);
    uint64_t t0 = monotime_ns();
    if (run_prompt(e, mi, p->n_depth, p->n_batch > 0 ? p->n_batch : 1, rng, tokens, err) < 0)
        return -1;
    r->depth_ns = monotime_ns() - t0;
    r->depth_fills++;
    dc->fills++;
    if (engine_seq_save(e, 0, &dc->buf, &dc->n, err) < 0)
        return -1;
    dc->depth = p->n_depth;
    return 0;
}

static bool auto_done(const struct pp_tg_params *p, const struct pp_tg_result *r, uint64_t spent_ns,
                      enum pp_tg_stop *why)
{
    if (r->n >= p->reps) {
        *why = PP_TG_STOP_REPS;
        return true;
    }
    if (!p->auto_reps || r->n < (p->min_reps > 2 ? p->min_reps : 2))
        return false;
    double *ts = xmalloc((size_t)r->n * sizeof(double));
    for (int i = 0; i < r->n; i++)
        ts[i] = pp_tg_ts(p, r->total_ns[i]);
    struct stats s = stats_compute(ts, (size_t)r->n);
    free(ts);
    if (s.mean > 0 && s.ci95 / s.mean <= p->rel_ci) {
        *why = PP_TG_STOP_CI;
        return true;
    }
    if (p->max_time_s > 0 && (double)spent_ns / 1e9 >= p->max_time_s) {
        *why = PP_TG_STOP_TIME;
        return true;
    }
    return false;
}

int pp_tg_run(struct engine *e, const struct pp_tg_params *p, struct depth_cache *dc,
              struct pp_tg_result *r, char *err)
{
    struct engine_model_info mi;
    struct depth_cache local = {0};
    int ret = -1, cap = 0;
    uint64_t rng = p->seed ? p->seed : 1;
    int n_batch = p->n_batch > 0 ? p->n_batch : 1;
    int chunk = p->n_prompt > p->n_depth ? p->n_prompt : p->n_depth;
    int32_t *tokens = xmalloc(sizeof(int32_t) * (size_t)(chunk < n_batch ? chunk + 1 : n_batch));

    if (!dc)
        dc = &local;
    memset(r, 0, sizeof(*r));
    grow(r, &cap, p->reps > 0 && !p->auto_reps ? p->reps : 8);
    engine_model_info(e, &mi);
    if (mi.n_vocab <= 0) {
        set_err(err, "model has an empty vocabulary");
        goto out;
    }
    engine_set_threads(e, p->n_threads, p->n_threads);
    engine_memory_clear(e);

    if (!p->no_warmup) {
        uint64_t t0 = monotime_ns();
        if (p->n_prompt > 0 && run_prompt(e, &mi, p->n_prompt, n_batch, &rng, tokens, err) < 0)
            goto out;
        if (p->n_gen > 0 && run_gen(e, &mi, 1, &rng, t0, NULL, err) < 0)
            goto out;
        r->warmup_ns = monotime_ns() - t0;
    }

    uint64_t spent = 0;
    for (int i = 0;; i++) {
        if (auto_done(p, r, spent, &r->stop))
            break;
        grow(r, &cap, i + 1);
        engine_memory_clear(e);
        if (p->n_depth > 0 && prepare_depth(e, &mi, p, dc, &rng, tokens, r, err) < 0)
            goto out;
        uint64_t t0 = monotime_ns();
        r->pp_ns[i] = r->tg_ns[i] = r->ttft_ns[i] = 0;
        if (p->n_prompt > 0) {
            if (run_prompt(e, &mi, p->n_prompt, n_batch, &rng, tokens, err) < 0)
                goto out;
            r->pp_ns[i] = monotime_ns() - t0;
        }
        if (p->n_gen > 0) {
            uint64_t t1 = monotime_ns(), first = 0;
            if (run_gen(e, &mi, p->n_gen, &rng, t0, &first, err) < 0)
                goto out;
            r->tg_ns[i] = monotime_ns() - t1;
            if (p->n_prompt > 0)
                r->ttft_ns[i] = first;
        }
        r->total_ns[i] = monotime_ns() - t0;
        spent += r->total_ns[i];
        r->n = i + 1;
    }
    ret = 0;
out:
    depth_cache_release(&local);
    free(tokens);
    return ret;
}
