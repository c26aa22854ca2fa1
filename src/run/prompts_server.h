/* prompts against an OpenAI-compatible server (prompts --server URL): each prompt POSTed
 * to URL/v1/chat/completions with stream=true, its answer read as the chunks arrive and
 * timed on our clock (TTFT from the request to the first content, generation t/s over the
 * rest), the server's own usage and llama-server's timings kept beside; the rows are
 * run/prompts.h's. A request that fails (HTTP error, dropped connection, timeout) is that
 * prompt's row with its status and reason; the rest run. */
#ifndef QB_RUN_PROMPTS_SERVER_H
#define QB_RUN_PROMPTS_SERVER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "prompts.h"

/* Where and how to ask (strings borrowed) */
struct prompts_server_params {
    const char *url;          /* the server's base URL; a path ending in /v1 is taken as the
                               * API's root (then /chat/completions is appended) */
    const char *model_name;   /* the "model" asked for; NULL: none sent (the server's one) */
    const char *api_key;      /* sent as "Authorization: Bearer KEY"; NULL or "": none */
    double timeout_s;         /* per prompt; 0: none */
    double idle_timeout_s;    /* the longest wait for a byte; 0: none */
    double connect_timeout_s; /* 0: 30 s */
};

/* The endpoint of a base URL: URL/v1/chat/completions, or URL/chat/completions when URL
 * ends in /v1 (trailing slashes dropped); the caller frees it. */
char *prompts_server_endpoint(const char *url);

/* The request body of item it (system "" for none) with p's generation settings: model
 * (when named), messages, stream, stream_options.include_usage, max_tokens, temperature,
 * top_p, top_k, min_p 0 (our chain has none), seed, stop (when given) and llama-server's
 * cache_prompt false (each prompt from an empty cache, as a local run). The caller frees
 * it (cJSON_Delete). */
cJSON *prompts_server_request(const struct prompts_params *p,
                              const struct prompts_server_params *sp, const char *system,
                              const char *prompt);

/* An answer as its chunks come (one per SSE event) */
struct prompts_server_stream {
    uint64_t t_first, t_last; /* arrival of the first and the last content (0: none yet) */
    long n_chunks;            /* chunks that carried content */
    char *text;               /* the content so far, NUL-terminated (owned) */
    size_t len, cap;
    bool done;      /* "[DONE]" came */
    bool has_usage; /* usage came: */
    int prompt_tokens, completion_tokens;
    struct prompts_server_report rep; /* what the server said; its strings point into: */
    char model[256], finish[32], fingerprint[128];
    /* each chunk's content (n = 1, 2, ...), borrowed for the call; may be NULL */
    void (*token)(void *ud, long n, const char *text);
    void *token_ud;
};
void prompts_server_stream_init(struct prompts_server_stream *s);
void prompts_server_stream_release(struct prompts_server_stream *s);
/* Take one event's data, arrived at now_ns: a chat.completion.chunk (its first choice's
 * delta.content, finish_reason, usage, timings, model, system_fingerprint) or "[DONE]";
 * -1 with err for an error object the server sent ("the server: MESSAGE") or data that is
 * no JSON object. */
int prompts_server_stream_event(struct prompts_server_stream *s, const char *data, uint64_t now_ns,
                                char *err);

/* prompts_run for p->server (prompts_run calls it): every item of p asked in order, each
 * answer (or failure) to sink->answer; a server that cannot be reached fails the rest the
 * same way without asking again. The kind of the first failure; *n_answered the answers. */
enum qb_kind prompts_server_run(const struct prompts_params *p, const struct prompts_sink *sink,
                                int *n_answered);

#endif
