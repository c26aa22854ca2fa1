/* quantbench load: load tests of OpenAI-compatible servers (llama-server, vLLM, ...). The
 * requests of one level (a concurrency or a request rate of a sweep) go out through
 * net/load.h's event loop, to one or several targets at once; every answer's chunks are
 * timed as they arrive and the level summarized with `vllm bench serve`'s definitions and
 * key names (serving.md (b)), plus our own under qb_ names: the token-weighted TPOT, the
 * failure-adjusted percentiles, the schedule lag and achieved rate, llama-server's own
 * timings joined to each request. Nothing here prints: rows and requests go to a sink. */
#ifndef QB_RUN_LOAD_H
#define QB_RUN_LOAD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/exit.h"

#define LOAD_MAX_TARGETS 8
#define LOAD_MAX_LEVELS  32
#define LOAD_MAX_PROMPTS 1000000
#define LOAD_N_PCT       4 /* the percentiles reported: 50 90 95 99 */

enum load_endpoint { LOAD_COMPLETIONS, LOAD_CHAT };
enum load_ramp { LOAD_RAMP_NONE, LOAD_RAMP_LINEAR, LOAD_RAMP_EXP };

struct load_target {
    const char *name; /* borrowed */
    const char *base; /* the server's base URL, no trailing / or /v1 (owned by the caller) */
};

/* One request's record, filled from its chunks (load_chunk) and its end */
struct load_rec {
    int target, index; /* its target and its place in the dataset */
    int prompt_len;    /* tokens, as we built the prompt; -1: not known (text) */
    int max_tokens;    /* asked for */
    uint64_t issue_ns; /* absolute: when it was due */
    uint64_t send_ns;  /* when it was sent (0: never) */
    uint64_t end_ns;   /* when it ended */
    uint64_t *t;       /* the arrival of each event with non-empty choices (owned) */
    size_t n_t, cap_t;
    bool done;       /* [DONE] came */
    char finish[32]; /* the last finish_reason */
    long text_bytes; /* generated text */
    bool has_usage;
    int prompt_tokens, completion_tokens, cached_tokens; /* -1: absent */
    bool has_timings;                                    /* llama-server's timings object came */
    double s_prompt_n, s_prompt_ms, s_cache_n, s_predicted_n, s_predicted_ms,
        s_predicted_per_token_ms;
    bool ok;                 /* a successful request (vLLM's success) */
    long status;             /* HTTP status */
    enum qb_kind kind;       /* the failure's kind */
    char cause[32];          /* the failure in one word: http_429, connect, cut, ... */
    char reason[QB_ERR_LEN]; /* the failure in words ("" when ok) */
};

/* One event's data of request r, arrived at now_ns: a completion chunk (choices[0].text,
 * or delta.content / reasoning_content for chat; finish_reason), its usage and
 * llama-server's timings, or "[DONE]". -1 with err for data that is no JSON object
 * ("malformed event: ...") or an error object the server sent ("the server: MESSAGE"). */
int load_chunk(struct load_rec *r, const char *data, uint64_t now_ns, char *err);
/* the same through cJSON alone (load_chunk reads the common token event with a scanner of
 * its own and gives the rest to this path): the reference the tests hold it to */
int load_chunk_json(struct load_rec *r, const char *data, uint64_t now_ns, char *err);
void load_rec_release(struct load_rec *r);

struct load_params {
    struct load_target targets[LOAD_MAX_TARGETS];
    int n_targets;
    enum load_endpoint endpoint;
    const char *endpoint_path; /* "/v1/completions" or "/v1/chat/completions" */
    const char *model;         /* the model asked for; NULL: each target's first listed */
    const char *api_key;       /* NULL: none */
    /* the load: a sweep over max_concurrency[] or request_rate[] (one of them listed) */
    int max_concurrency[LOAD_MAX_LEVELS]; /* 0: no cap */
    int n_concurrency;
    double request_rate[LOAD_MAX_LEVELS]; /* requests/s, INFINITY: all at once */
    int n_rates;
    double burstiness; /* gamma shape; 1 = Poisson */
    enum load_ramp ramp;
    double ramp_start, ramp_end; /* requests/s */
    int num_prompts;
    uint64_t seed;
    /* the data: random token prompts, or texts */
    int input_len, output_len, prefix_len;
    double range_ratio;
    bool cache_bust;          /* prompts unlike any sent before (no warm cache) */
    int vocab;                /* token ids < vocab; 0: the server's n_vocab */
    const char *const *texts; /* prompt texts (cycled), NULL: random tokens */
    int n_texts;
    const char *dataset; /* "random", a set's name or a file's */
    bool ignore_eos;
    /* goodput SLOs, ms; 0: not given */
    double slo_ttft, slo_tpot, slo_e2el;
    /* bounds */
    double timeout_s, idle_timeout_s, connect_timeout_s, max_duration_s;
};

/* Where the results go (all may be NULL) */
struct load_sink {
    /* each target's capability probe, once before the first level (borrowed) */
    void (*probe)(void *ud, int target, const cJSON *probe);
    /* one request's record as JSON (borrowed) */
    void (*request)(void *ud, const cJSON *rec);
    /* one target x level's summary row (borrowed) */
    void (*row)(void *ud, const cJSON *row);
    /* progress for people: one line */
    void (*note)(void *ud, const char *line);
    void *ud;
};

/* Whether url's host is this machine (127.0.0.0/8, ::1, localhost) */
bool load_url_is_loopback(const char *url);

/* Run p: probe every target, then each level in turn; each level's rows and requests to
 * sink. 0 when every request of every level succeeded, QB_EXIT_PARTIAL when some failed,
 * QB_EXIT_FAIL when none did (err: the first reason), the signal's code when interrupted;
 * QB_EXIT_INPUT with err when a target cannot be used (no model, no vocabulary). */
int load_run(const struct load_params *p, const struct load_sink *sink, char *err);

/* ---- the arithmetic, exposed for the tests ---- */

/* The summary of one level for one target: recs[0..n) (those of that target), start_ns
 * when the level began; vLLM's keys and ours (the caller frees). */
cJSON *load_summary(const struct load_params *p, const struct load_rec *recs, size_t n,
                    uint64_t start_ns, int max_concurrency, double request_rate);

/* The due times (ns from the start) of n requests at rate (INFINITY: all 0) with
 * burstiness and p's ramp, from seed: vLLM's gamma gaps, summed, rescaled so the last is
 * at n / rate when there is no ramp. */
void load_schedule(const struct load_params *p, double rate, int n, uint64_t seed, uint64_t *due);

#endif
