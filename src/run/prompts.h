/* prompts as one run function: a model's answers to a list of prompts in one worker (one
 * load, one context warmed up once, as llama-server), timed as measure/prompts.h says; the
 * tokens to the caller as they come, each answer a typed row (and its JSON, kind
 * "prompts"). A prompt that fails (longer than the context) is a row with its status and
 * the rest run; a worker that dies costs its prompt, the rest run in a fresh one. */
#ifndef QB_RUN_PROMPTS_H
#define QB_RUN_PROMPTS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "../measure/prompts.h"
#include "../record/bench_row.h"
#include "run.h"

struct runner;
struct prompts_server_params;

/* One prompt of a set; strings borrowed */
struct prompts_item {
    const char *id;       /* names it in rows: "arith" */
    const char *category; /* "" or NULL: none */
    const char *system;   /* its own system prompt; NULL: the run's */
    const char *prompt;   /* the user's prompt */
    const cJSON *grader;  /* how its answer is graded (grade/grade.h), or NULL: not graded */
};

struct prompts_params {
    struct run_load ld;            /* the model, its load settings, verbosity, timeout */
    struct engine_ctx_params cp;   /* the context (n_ctx, n_batch, threads, ...) */
    struct prompts_gen_params gen; /* max_tokens, sampling, stop strings (its n_ctx, n_batch
                                    * and token are set from cp and the sink) */
    const char *system;            /* the system prompt of items without one; NULL: none */
    bool no_warmup;                /* skip the new context's warm-up (llama-server --no-warmup) */
    const char *set; /* the prompt set's name, for the rows (--regrade); may be NULL */
    const struct prompts_item *items;
    int n_items;
    /* NULL: the model of ld, run in a worker; else a server asked for the answers
     * (run/prompts_server.h: ld, cp and no_warmup unused) */
    const struct prompts_server_params *server;
};

/* What a server said of an answer (prompts --server); strings borrowed, "" when it said
 * nothing of it */
struct prompts_server_report {
    const char *url;           /* the endpoint asked */
    const char *model;         /* the model as the server names it */
    const char *finish_reason; /* its finish_reason */
    const char *fingerprint;   /* its system_fingerprint */
    bool has_timings;          /* llama-server's timings object came: its */
    double prompt_ms;          /* prompt_ms */
    double predicted_per_second;
    int prompt_n, predicted_n;
};

/* An answer, or why there is none. Pointers are valid during the sink's call only. */
struct prompts_answer {
    const struct prompts_params *p;
    const struct prompts_item *item;
    int index;                 /* item's in p->items */
    const char *system;        /* the system prompt given ("" none) */
    enum bench_status status;  /* OK; ERROR (a prompt too long, a decode), CRASHED, ... */
    enum qb_kind kind;         /* OK, or the failure's kind (INPUT: the prompt's fault) */
    const char *error;         /* why it failed; "" when ok */
    const char *stop_reason;   /* "eog", "stop", "length"; "error" when it failed */
    const char *text;          /* the answer; "" when it failed */
    const char *chat_template; /* "model", "chatml-none", "chatml-unsupported"; "" failed */
    int n_prompt_tokens;       /* the templated prompt's tokens (0 failed) */
    int n_gen_tokens;          /* tokens sampled, an EOG at the end included */
    double ttft_ms;            /* llama-server's prompt_ms: the prompt and the first token */
    double gen_ms;             /* its predicted_ms: from the first token to the last */
    double total_ms;           /* ttft_ms + gen_ms */
    double gen_tps;            /* its predicted_per_second: tokens after the first / gen_ms */
    double prompt_tps;         /* its prompt_per_second: n_prompt_tokens / ttft_ms */
    uint64_t ctx_ns;           /* creating the context before it (0: kept from the last) */
    uint64_t warmup_ns;        /* the new context's warm-up (0: kept) */
    const cJSON *mem;          /* the worker's memory report (NULL failed) */
    const struct runner *rn;   /* the model, build and host it came from (NULL: server) */
    const struct prompts_server_report *server; /* --server: what it said; NULL: local */
};

/* What prompts_run hands its caller. Every callback may be NULL. */
struct prompts_sink {
    /* before item index runs */
    void (*start)(void *ud, int index);
    /* its n-th token and the text that made visible ("" while a stop string or a UTF-8
     * character may be beginning; borrowed for the call) */
    void (*token)(void *ud, int index, long n, const char *text);
    /* its answer, or why there is none */
    void (*answer)(void *ud, const struct prompts_answer *a);
    /* true: run no further prompt (a row could not be stored); SIGINT / SIGTERM stop the
     * run too */
    bool (*stop)(void *ud);
    void *ud;
};

/* Answer every item of p in order, each to sink->answer. A model that does not load fails
 * every prompt the same way (rows with its status, no further tries). QB_KIND_OK when every
 * prompt was answered, else the kind of the first failure; *n_answered the answers. With
 * p->server the answers are the server's (prompts_server_run). */
enum qb_kind prompts_run(const struct prompts_params *p, const struct prompts_sink *sink,
                         int *n_answered);

/* The row of a (the kind "prompts"): id, category, prompt, system, n_prompt_tokens,
 * ttft_ms, prompt_tps, gen_tps, gen_ms, total_ms, n_gen_tokens, stop_reason, text,
 * chat_template, status, error, the sampling settings (max_tokens, temp, top_k, top_p,
 * stop), the load and context settings and seed (row_settings_json), where it came from
 * (runner_row_meta) and the memory fields. A server's answer: no load, context or memory
 * fields (the server's own), model_filename the model it named, and server_url,
 * server_finish_reason, server_fingerprint, and with llama-server's timings
 * server_prompt_ms, server_predicted_per_second, server_prompt_n, server_predicted_n. The
 * caller frees it (cJSON_Delete). */
cJSON *prompts_row_json(const struct prompts_answer *a);

/* a's fields for item i of p before it runs: ok so far, no text, the system prompt it
 * gets (the item's, else the run's) */
void prompts_answer_init(struct prompts_answer *a, const struct prompts_params *p, int i);

#endif
