/* Perplexity by llama-perplexity's method: the tokens (BOS first where the vocabulary
 * adds it) cut into non-overlapping chunks of n_ctx; each chunk decoded from an empty
 * cache with BOS in place of its first token; the second half of each chunk scored
 * (token k+1 against the logits at k, for k from n_ctx/2 to n_ctx-2); several chunks
 * per decode as parallel sequences when n_batch >= 2*n_ctx, a chunk in n_batch pieces
 * when n_batch < n_ctx. PPL = exp(mean NLL), its error exp(mean)*sd(NLL)/sqrt(count-1). */
#ifndef QB_PPL_H
#define QB_PPL_H

#include <stdbool.h>
#include <stdint.h>

#include "../engine/engine.h"

struct ppl_params {
    int n_ctx;       /* tokens per chunk (-c) */
    int n_batch;     /* tokens per decode (-b) */
    int n_chunks;    /* chunks to score; <= 0: all */
    bool all_logits; /* logits for every token, not only the scored half (llama-imatrix
                      * asks for all: the last layer then runs on every row) */
    void (*progress)(void *ud, int done, int total); /* after each decode of chunks; may be
                                                      * NULL */
    void *progress_ud;                               /* passed to progress */
};

struct ppl_result {
    int n_chunks;     /* chunks scored */
    int n_seq;        /* chunks per decode */
    long long count;  /* tokens scored */
    double nll, nll2; /* sums of -log p and its square */
    double ppl, ppl_err;
    double *chunk_ppl; /* running PPL after each chunk (n_chunks, caller frees) */
    uint64_t ns;       /* time of the decodes and scoring */
};

/* Sequences the context needs for p: max(1, n_batch / n_ctx). */
int ppl_n_seq(const struct ppl_params *p);
/* The context llama-perplexity (and llama-imatrix) creates for p, into cp: ppl_n_seq(p)
 * sequences of n_ctx, the logical batch at most all of them, the physical at most the
 * logical. */
void ppl_ctx_params(const struct ppl_params *p, struct engine_ctx_params *cp);
/* Chunks scored from n_tokens */
int ppl_n_chunks(const struct ppl_params *p, int n_tokens);

/* Called for every scored token in order (chunk by chunk): its logits row and the actual
 * next token; sets *nll; -1 with err stops the run (KL-divergence, saving a base file). */
struct ppl_hook {
    void *ud;
    int (*row)(void *ud, const float *logits, int n_vocab, int tok, double *nll, char *err);
};

/* -1 with err when n_tokens are shorter than two chunks of p (the text is too short) */
int ppl_check_length(const struct ppl_params *p, int n_tokens, char *err);

/* -1 with err when the text is shorter than two chunks (ppl_check_length) or a decode fails. The
 * engine's context must hold ppl_n_seq(p) sequences of n_ctx. hook may be NULL. */
int ppl_run(struct engine *e, const int32_t *tokens, int n_tokens, const struct ppl_params *p,
            const struct ppl_hook *hook, struct ppl_result *r, char *err);

/* Whether tokens (a base file's) come from this model's tokenizer: their text (up to the
 * first 4096), tokenized again with BOS, must give them back, but for the last 16, where
 * a cut word may split otherwise. 0: it does; 1: it does not, *diff the first position
 * that differs; -1 with err. */
int ppl_tokens_check(struct engine *e, const int32_t *tok, int n, int *diff, char *err);

#endif
