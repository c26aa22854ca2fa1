/* Controls and counters of the fake engine (tests/unit/fake_engine.c). */
#ifndef QB_FAKE_ENGINE_H
#define QB_FAKE_ENGINE_H

#include <stdbool.h>

#include "../../src/engine/engine.h"

struct fake_engine_cfg {
    int n_vocab;           /* vocabulary size reported */
    bool add_bos;          /* vocabulary adds BOS */
    int bos;               /* BOS id */
    long ns_per_token;     /* simulated decode time per token */
    int fail_decode_after; /* fail once this many decodes happened; -1 never */
    bool fail_open;        /* engine_open fails */
    bool fail_oom;         /* a failing decode fails out of memory (engine_last_error_kind) */
    bool fail_restore;     /* engine_seq_restore refuses every snapshot */
    int eos;               /* the end-of-generation token (engine_token_is_eog) */
    /* the canned answer every sampler spells, a byte a token, then eos; NULL: the first
     * line of the JSON-lines file $QB_FAKE_ANSWERS ({"key": K, "answer": A}) whose K
     * occurs in the prompt decoded, else $QB_FAKE_ANSWER, else "fake answer" (a worker
     * of test_unit reads the environment) */
    const char *answer;
};

#define FAKE_MAX_SEQ  64
#define FAKE_MAX_ROWS 4096 /* logits rows engine_logits can hand out */

struct fake_engine_stats {
    int decodes, tokens, syncs, clears, saves, restores, ctx_creates, max_batch, last_threads;
    int bad_tokens;       /* tokens outside the vocabulary */
    int first_tokens[64]; /* first token of each decode at position 0 */
    int n_first;
    int seq_len[FAKE_MAX_SEQ]; /* cells per sequence (positions must continue them) */
    int bad_positions;         /* tokens that did not continue their sequence */
    int seq_rms, seq_cps;      /* memory removals and copies */
    int logits_reads;          /* engine_logits calls */
    int samples;               /* engine_sampler_sample calls */
};

extern struct fake_engine_cfg fake_cfg;
extern struct fake_engine_stats fake_stats;
void fake_engine_reset(void);
/* An engine with a context, 1 us per token, counters reset */
struct engine *fake_engine_open(void);

#endif
