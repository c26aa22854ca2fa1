/* Two load records read from the same events: equal in everything load_chunk fills (the
 * unit test and the fuzz target hold load_chunk's own scanner to cJSON's path with it). */
#ifndef QB_TEST_LOAD_SAME_H
#define QB_TEST_LOAD_SAME_H

#include <stdbool.h>
#include <string.h>

#include "../../src/run/load.h"

static inline bool load_rec_same(const struct load_rec *a, const struct load_rec *b)
{
    return a->n_t == b->n_t && (!a->n_t || !memcmp(a->t, b->t, a->n_t * sizeof(*a->t))) &&
           a->done == b->done && !strcmp(a->finish, b->finish) && a->text_bytes == b->text_bytes &&
           a->has_usage == b->has_usage && a->prompt_tokens == b->prompt_tokens &&
           a->completion_tokens == b->completion_tokens && a->cached_tokens == b->cached_tokens &&
           a->has_timings == b->has_timings && a->s_prompt_n == b->s_prompt_n &&
           a->s_prompt_ms == b->s_prompt_ms && a->s_cache_n == b->s_cache_n &&
           a->s_predicted_n == b->s_predicted_n && a->s_predicted_ms == b->s_predicted_ms &&
           a->s_predicted_per_token_ms == b->s_predicted_per_token_ms;
}

#endif
