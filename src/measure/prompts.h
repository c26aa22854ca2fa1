/* Answering one prompt on an engine, timed as llama-server times a completion: the chat
 * through the model's chat template, tokenized with its special tokens, the prompt decoded
 * from an empty cache, then a token sampled and decoded at a time until an end of
 * generation, a stop string or a limit. TTFT is llama-server's prompt_ms, the generation
 * speed its predicted_per_second. The text is UTF-8: other bytes (and NUL) become U+FFFD. */
#ifndef QB_MEASURE_PROMPTS_H
#define QB_MEASURE_PROMPTS_H

#include <stddef.h>
#include <stdint.h>

#include "../engine/engine.h"

#define PROMPTS_MAX_STOP 4  /* stop strings a generation takes */
#define PROMPTS_STOP_LEN 64 /* bytes of each, with its NUL */

struct prompts_gen_params {
    int max_tokens;                  /* tokens to sample at most (llama-server's n_predict) */
    struct engine_sampler_params sp; /* greedy, or temp / top-k / top-p with a seed */
    char stop[PROMPTS_MAX_STOP][PROMPTS_STOP_LEN]; /* stop strings; "" unused */
    int n_ctx;   /* the context's cells: a prompt must be shorter, the answer stops at it */
    int n_batch; /* tokens per decode of the prompt */
    /* each sampled token (n = 1, 2, ...) with the text it made visible: none while the
     * text may be the start of a stop string or of a UTF-8 character, the rest at the
     * end; the pieces together are the answer's text. May be NULL. */
    void (*token)(void *ud, int n, const char *text, size_t len);
    void *token_ud; /* passed to token */
};

/* Why a generation ended */
enum prompts_stop {
    PROMPTS_STOP_EOG = 0,    /* an end-of-generation token (counted, its text kept) */
    PROMPTS_STOP_STRING = 1, /* a stop string (removed from the text with what followed) */
    PROMPTS_STOP_LENGTH = 2, /* max_tokens, or the context full */
};
const char *prompts_stop_name(enum prompts_stop s); /* "eog", "stop", "length" (static) */

struct prompts_gen_result {
    int n_prompt_tokens; /* tokens decoded for the prompt */
    int n_gen_tokens;    /* tokens sampled, the last (an EOG) included, as llama-server */
    uint64_t ttft_ns;    /* the prompt's decode and the first token sampled */
    uint64_t gen_ns;     /* from the first token sampled to the last */
    uint64_t total_ns;   /* ttft_ns + gen_ns */
    enum prompts_stop stop;
    char *text; /* the answer, NUL-terminated (prompts_gen_result_release frees) */
    size_t len; /* its bytes */
};
void prompts_gen_result_release(struct prompts_gen_result *r);

/* Tokens per second after the first token: (n_gen_tokens - 1) / gen_ns; 0 when fewer
 * than two tokens */
double prompts_gen_tps(const struct prompts_gen_result *r);

/* The chat of system (NULL or "": none) and prompt through e's chat template, tokenized:
 * *tok the caller's (free()), *tmpl the template used; -1 with err. */
int prompts_tokenize(const struct engine *e, const char *system, const char *prompt, int32_t **tok,
                     int *n, enum engine_chat_tmpl *tmpl, char *err);

/* -1 with err when a prompt of n tokens leaves no room in a context of n_ctx cells
 * (llama-server's rule: it must be shorter than the context) */
int prompts_check_length(int n, int n_ctx, char *err);

/* llama.cpp's warm-up of a new context (common_init_from_params, llama-server's too): BOS
 * and EOS (those the vocabulary has) decoded once, then the cache cleared; -1 with err */
int prompts_warmup(struct engine *e, char *err);

/* Answer the prompt tok[0..n) (prompts_tokenize's) on e's context, after clearing it;
 * *r filled (release it, after an error too); -1 with err when a decode or a sample
 * failed or the prompt does not fit (prompts_check_length). */
int prompts_gen(struct engine *e, const int32_t *tok, int n, const struct prompts_gen_params *p,
                struct prompts_gen_result *r, char *err);

#endif
