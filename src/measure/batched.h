/* batched: aggregate speed with B parallel sequences (llama-batched-bench): B
 * sequences of PP prompt tokens decoded in n_batch chunks (or, shared, one prompt
 * copied to B sequences), then TG steps each decoding one token for every sequence.
 * Knows engine.h only. */
#ifndef QB_BATCHED_H
#define QB_BATCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "../engine/engine.h"

struct batched_params {
    int pp;         /* prompt tokens per sequence */
    int tg;         /* generation steps */
    int pl;         /* parallel sequences (B) */
    bool shared;    /* one prompt, copied to every sequence */
    int n_batch;    /* prompt chunk size */
    int n_ctx;      /* KV cells available (to refuse what cannot fit) */
    int reps;       /* repetitions */
    int n_threads;  /* threads */
    bool no_warmup; /* skip the 16-token warm-up */
    uint64_t seed;  /* token generator seed */
};

struct batched_result {
    int n;             /* repetitions done */
    int n_kv;          /* KV cells the combination uses (batched-bench's N_KV) */
    uint64_t *pp_ns;   /* per repetition: prompt time */
    uint64_t *tg_ns;   /* per repetition: generation time */
    uint64_t *ttft_ns; /* per repetition: until every sequence has its first token */
};

/* llama-batched-bench's speeds of one repetition, tokens/s: S_PP = B*PP/T_PP (PP/T_PP
 * shared), S_TG = B*TG/T_TG, S = (prompt tokens + B*TG)/(T_PP + T_TG) */
void batched_speeds(const struct batched_params *p, uint64_t pp_ns, uint64_t tg_ns, double *s_pp,
                    double *s_tg, double *s);

/* KV cells a combination needs, as llama-batched-bench counts them */
int batched_n_kv(const struct batched_params *p);

/* 0 ok, -1 with err (a combination larger than n_ctx is refused before decoding). */
int batched_run(struct engine *e, const struct batched_params *p, struct batched_result *r,
                char *err);
void batched_result_release(struct batched_result *r);

#endif
