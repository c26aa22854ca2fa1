/* pp / tg measurement (see pp_tg.h). */
#include "pp_tg.h"

#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"
#include "../util/util.h"

/* splitmix64: a small fast generator; the token values do not matter, only that
 * they are spread over the vocabulary like llama-bench's std::rand() tokens */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

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

int pp_tg_run(struct engine *e, const struct pp_tg_params *p, struct pp_tg_result *r, char *err)
{
    struct engine_model_info mi;
    int ret = -1;
    uint64_t rng = p->seed ? p->seed : 1;
    int n_batch = p->n_batch > 0 ? p->n_batch : 1;
    int chunk = p->n_prompt > p->n_depth ? p->n_prompt : p->n_depth;
    int32_t *tokens = xmalloc(sizeof(int32_t) * (size_t)(chunk < n_batch ? chunk + 1 : n_batch));
    void *state = NULL;
    size_t state_n = 0;

    memset(r, 0, sizeof(*r));
    int reps = p->reps > 0 ? p->reps : 1;
    r->total_ns = xcalloc((size_t)reps, sizeof(uint64_t));
    r->pp_ns = xcalloc((size_t)reps, sizeof(uint64_t));
    r->tg_ns = xcalloc((size_t)reps, sizeof(uint64_t));
    r->ttft_ns = xcalloc((size_t)reps, sizeof(uint64_t));
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

    for (int i = 0; i < reps; i++) {
        engine_memory_clear(e);
        if (p->n_depth > 0) {
            if (!state) {
                uint64_t t0 = monotime_ns();
                if (run_prompt(e, &mi, p->n_depth, n_batch, &rng, tokens, err) < 0)
                    goto out;
                r->depth_ns = monotime_ns() - t0;
                if (engine_seq_save(e, 0, &state, &state_n, err) < 0)
                    goto out;
            } else if (engine_seq_restore(e, 0, state, state_n, err) < 0) {
                goto out;
            }
        }
        uint64_t t0 = monotime_ns();
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
        r->n = i + 1;
    }
    ret = 0;
out:
    free(state);
    free(tokens);
    return ret;
}
