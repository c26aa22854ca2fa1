/* Load tests of OpenAI-compatible servers (see load.h). The metrics follow vllm bench serve
 * (vllm/benchmarks/serve.py, calculate_metrics) as serving.md (b) restates them; a
 * request's clock starts when it is handed to libcurl (after its concurrency slot, as
 * vLLM's), its chunks are timed in libcurl's write callback, times are kept in integer ns
 * and turned into ms only for the summary. */
#include "load.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../net/load.h"
#include "../util/clock.h"
#include "../util/rng.h"
#include "../util/sig.h"
#include "../util/stats.h"
#include "../util/util.h"

static const double pcts[LOAD_N_PCT] = {50, 90, 95, 99};

/* ---------------------------------------------------------------- chunks */

static double num_or(const cJSON *o, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static long text_len(const cJSON *v)
{
    return cJSON_IsString(v) ? (long)strlen(v->valuestring) : 0;
}

static void add_token(struct load_rec *r, uint64_t now_ns)
{
    if (r->n_t == r->cap_t) {
        r->cap_t = r->cap_t ? 2 * r->cap_t : 64;
        r->t = xrealloc(r->t, r->cap_t * sizeof(*r->t));
    }
    r->t[r->n_t++] = now_ns;
}

/* the event through cJSON: every case */
static int chunk_json(struct load_rec *r, const char *data, uint64_t now_ns, char *err)
{
    cJSON *o = cJSON_Parse(data);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        char *esc = str_escape(data, 0);
        set_err(err, "malformed event: not a JSON object: '%.60s'", esc);
        free(esc);
        return -1;
    }
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (e && !cJSON_IsNull(e)) {
        const cJSON *msg = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : e;
        char *esc = str_escape(cJSON_IsString(msg) ? msg->valuestring : "(no message)", 0);
        set_err(err, "the server: %.600s", esc);
        free(esc);
        cJSON_Delete(o);
        return -1;
    }
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(o, "choices");
    const cJSON *ch = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
    if (ch) { /* vLLM: an event with choices is a token's, its text empty or not */
        add_token(r, now_ns);
        r->text_bytes += text_len(cJSON_GetObjectItemCaseSensitive(ch, "text"));
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(ch, "delta");
        if (cJSON_IsObject(delta)) {
            r->text_bytes += text_len(cJSON_GetObjectItemCaseSensitive(delta, "content"));
            r->text_bytes += text_len(cJSON_GetObjectItemCaseSensitive(delta, "reasoning_content"));
        }
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(ch, "finish_reason");
        if (cJSON_IsString(f))
            snprintf(r->finish, sizeof(r->finish), "%s", f->valuestring);
    }
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "usage");
    if (cJSON_IsObject(u) &&
        cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(u, "completion_tokens"))) {
        r->has_usage = true;
        r->completion_tokens = (int)num_or(u, "completion_tokens", -1);
        r->prompt_tokens = (int)num_or(u, "prompt_tokens", -1);
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens_details");
        r->cached_tokens = cJSON_IsObject(d) ? (int)num_or(d, "cached_tokens", -1) : -1;
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "timings");
    if (cJSON_IsObject(t) && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(t, "prompt_ms"))) {
        r->has_timings = true;
        r->s_prompt_n = num_or(t, "prompt_n", 0);
        r->s_prompt_ms = num_or(t, "prompt_ms", 0);
        r->s_cache_n = num_or(t, "cache_n", 0);
        r->s_predicted_n = num_or(t, "predicted_n", 0);
        r->s_predicted_ms = num_or(t, "predicted_ms", 0);
        r->s_predicted_per_token_ms = num_or(t, "predicted_per_token_ms", 0);
    }
    cJSON_Delete(o);
    return 0;
}

/* ---- the common token event without cJSON: a strict scanner of the whole object, then
 * what load_chunk reads from it. Where it is not sure to read what cJSON would (an escape
 * it does not decode, a key with an escape, JSON's grammar bent as cJSON allows, an error,
 * usage or timings object, deep nesting) it says so and cJSON's path reads the event. */

enum { SCAN_DEPTH = 64 };

static const char *scan_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* the string at p (its '"'): the byte after its closing quote; *len its bytes decoded,
 * *esc whether it had an escape. NULL: not one (or a \u escape, a control byte) */
static const char *scan_str(const char *p, long *len, bool *esc)
{
    long n = 0;
    bool e = false;
    for (p++;; n++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c < 0x20)
            return NULL; /* the data's end too */
        if (c == '\\') {
            char d = p[1];
            if (!d || !strchr("\"\\/bfnrt", d))
                return NULL;
            e = true;
            p += 2;
            continue;
        }
        p++;
    }
    if (len)
        *len = n;
    if (esc)
        *esc = e;
    return p + 1;
}

static const char *scan_digits(const char *p)
{
    if (*p < '0' || *p > '9')
        return NULL;
    while (*p >= '0' && *p <= '9')
        p++;
    return p;
}

/* JSON's number grammar exactly (cJSON reads a superset of it) */
static const char *scan_num(const char *p)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (!(p = scan_digits(p)))
        return NULL;
    if (*p == '.' && !(p = scan_digits(p + 1)))
        return NULL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(p = scan_digits(p)))
            return NULL;
    }
    return p;
}

static const char *scan_value(const char *p, int depth);

/* an object or an array at p: the byte after it */
static const char *scan_items(const char *p, int depth)
{
    char close = *p == '{' ? '}' : ']';
    bool obj = close == '}';
    if (depth >= SCAN_DEPTH)
        return NULL;
    p = scan_ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (obj) {
            if (*p != '"' || !(p = scan_str(p, NULL, NULL)))
                return NULL;
            p = scan_ws(p);
            if (*p++ != ':')
                return NULL;
            p = scan_ws(p);
        }
        if (!(p = scan_value(p, depth + 1)))
            return NULL;
        p = scan_ws(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
        p = scan_ws(p);
    }
}

static const char *scan_value(const char *p, int depth)
{
    switch (*p) {
    case '{':
    case '[': return scan_items(p, depth);
    case '"': return scan_str(p, NULL, NULL);
    case 't': return strncmp(p, "true", 4) ? NULL : p + 4;
    case 'f': return strncmp(p, "false", 5) ? NULL : p + 5;
    case 'n': return strncmp(p, "null", 4) ? NULL : p + 4;
    default: return *p == '-' || (*p >= '0' && *p <= '9') ? scan_num(p) : NULL;
    }
}

/* the values of the object at p (valid: scanned before) under keys[0..n), the first of
 * each as cJSON finds it; false for a key with an escape (cJSON would decode it) */
static bool scan_keys(const char *p, const char *const *keys, const char **vals, int n)
{
    for (int k = 0; k < n; k++)
        vals[k] = NULL;
    p = scan_ws(p + 1);
    while (*p == '"') {
        long len;
        bool esc;
        const char *k0 = p + 1, *ke = scan_str(p, &len, &esc);
        if (esc)
            return false;
        const char *v = scan_ws(scan_ws(ke) + 1);
        for (int k = 0; k < n; k++)
            if (!vals[k] && len && *k0 == *keys[k] && (size_t)len == strlen(keys[k]) &&
                !memcmp(k0, keys[k], (size_t)len))
                vals[k] = v;
        p = scan_ws(scan_value(v, 0));
        if (*p != ',')
            break;
        p = scan_ws(p + 1);
    }
    return true;
}

static long scan_text_len(const char *v)
{
    long n = 0;
    return v && *v == '"' && scan_str(v, &n, NULL) ? n : 0;
}

/* 1: the event read as cJSON's path would read it; 0: that path must read it */
static int chunk_fast(struct load_rec *r, const char *data, uint64_t now_ns)
{
    if (*data != '{' || !scan_items(data, 0))
        return 0;
    static const char *const top_keys[] = {"error", "choices", "usage", "timings"};
    const char *top[4];
    if (!scan_keys(data, top_keys, top, 4))
        return 0;
    if ((top[0] && *top[0] != 'n') || (top[2] && *top[2] == '{') || (top[3] && *top[3] == '{'))
        return 0; /* an error, usage, llama-server's timings: once a request, cJSON reads them */
    const char *ch = NULL;
    if (top[1] && *top[1] == '[') {
        ch = scan_ws(top[1] + 1);
        if (*ch == ']')
            ch = NULL;
    }
    const char *c[3] = {NULL, NULL, NULL}, *d[2] = {NULL, NULL};
    long flen = 0;
    bool fesc = false;
    if (ch && *ch == '{') {
        static const char *const ch_keys[] = {"text", "delta", "finish_reason"};
        static const char *const delta_keys[] = {"content", "reasoning_content"};
        if (!scan_keys(ch, ch_keys, c, 3))
            return 0;
        if (c[1] && *c[1] == '{' && !scan_keys(c[1], delta_keys, d, 2))
            return 0;
        if (c[2] && *c[2] == '"' && (scan_str(c[2], &flen, &fesc), fesc))
            return 0;
    }
    if (!ch)
        return 1;
    add_token(r, now_ns);
    r->text_bytes += scan_text_len(c[0]) + scan_text_len(d[0]) + scan_text_len(d[1]);
    if (c[2] && *c[2] == '"') {
        size_t k = (size_t)flen < sizeof(r->finish) - 1 ? (size_t)flen : sizeof(r->finish) - 1;
        memcpy(r->finish, c[2] + 1, k);
        r->finish[k] = '\0';
    }
    return 1;
}

static int chunk(struct load_rec *r, const char *data, uint64_t now_ns, bool fast, char *err)
{
    while (*data == ' ' || *data == '\t' || *data == '\n' || *data == '\r')
        data++;
    if (!strncmp(data, "[DONE]", 6)) {
        r->done = true;
        return 0;
    }
    if (fast && chunk_fast(r, data, now_ns))
        return 0;
    return chunk_json(r, data, now_ns, err);
}

int load_chunk(struct load_rec *r, const char *data, uint64_t now_ns, char *err)
{
    return chunk(r, data, now_ns, true, err);
}

int load_chunk_json(struct load_rec *r, const char *data, uint64_t now_ns, char *err)
{
    return chunk(r, data, now_ns, false, err);
}

void load_rec_release(struct load_rec *r)
{
    free(r->t);
    r->t = NULL;
    r->n_t = r->cap_t = 0;
}

/* ---------------------------------------------------------------- statistics */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* mean, median, population std and the percentiles of x[0..n) (sorted here) under
 * NAME: mean_NAME_ms, median_NAME_ms, std_NAME_ms, pP_NAME_ms (vLLM's keys) */
static void add_dist(cJSON *o, const char *name, double *x, size_t n)
{
    qsort(x, n, sizeof(*x), cmp_double);
    double sum = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    double mean = n ? sum / (double)n : 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    char k[64];
    snprintf(k, sizeof(k), "mean_%s_ms", name);
    cJSON_AddNumberToObject(o, k, mean);
    snprintf(k, sizeof(k), "median_%s_ms", name);
    cJSON_AddNumberToObject(o, k, stats_percentile_linear(x, n, 50));
    snprintf(k, sizeof(k), "std_%s_ms", name);
    cJSON_AddNumberToObject(o, k, n ? sqrt(ss / (double)n) : 0);
    for (int j = 0; j < LOAD_N_PCT; j++) {
        snprintf(k, sizeof(k), "p%g_%s_ms", pcts[j], name);
        cJSON_AddNumberToObject(o, k, stats_percentile_linear(x, n, pcts[j]));
    }
}

/* the percentiles of x[0..n) with n_inf more samples at +infinity (the failed requests),
 * as qb_pP_NAME_ms_failed_inf: null where the percentile falls on a failure */
static void add_adjusted(cJSON *o, const char *name, double *x, size_t n, size_t n_inf)
{
    size_t m = n + n_inf;
    double *y = xmalloc((m ? m : 1) * sizeof(double));
    memcpy(y, x, n * sizeof(double));
    for (size_t i = n; i < m; i++)
        y[i] = INFINITY;
    qsort(y, m, sizeof(*y), cmp_double);
    char k[80];
    for (int j = 0; j < LOAD_N_PCT; j++) {
        snprintf(k, sizeof(k), "qb_p%g_%s_ms_failed_inf", pcts[j], name);
        double h = m ? (double)(m - 1) * pcts[j] / 100.0 : 0;
        size_t lo = (size_t)floor(h);
        double v = 0;
        if (m) { /* 0 * inf is no number: a percentile on a sample is that sample */
            if (h == (double)lo || lo + 1 >= m)
                v = y[lo < m ? lo : m - 1];
            else
                v = isinf(y[lo + 1]) ? INFINITY : stats_percentile_linear(y, m, pcts[j]);
        }
        if (isinf(v))
            cJSON_AddNullToObject(o, k);
        else
            cJSON_AddNumberToObject(o, k, v);
    }
    free(y);
}

static double ms_between(uint64_t a, uint64_t b)
{
    return b >= a ? (double)(b - a) / 1e6 : -(double)(a - b) / 1e6;
}

cJSON *load_summary(const struct load_params *p, const struct load_rec *recs, size_t n,
                    uint64_t start_ns, int max_concurrency, double request_rate)
{
    cJSON *o = cJSON_CreateObject();
    size_t n_ok = 0, n_sent = 0, n_itl = 0;
    for (size_t i = 0; i < n; i++) {
        n_ok += recs[i].ok;
        n_sent += recs[i].send_ns != 0;
        if (recs[i].ok && recs[i].n_t > 1)
            n_itl += recs[i].n_t - 1;
    }
    size_t cap = n_ok ? n_ok : 1;
    double *ttft = xmalloc(cap * sizeof(double)), *tpot = xmalloc(cap * sizeof(double));
    double *e2el = xmalloc(cap * sizeof(double)),
           *itl = xmalloc((n_itl ? n_itl : 1) * sizeof(double));
    double *qn = xmalloc(cap * sizeof(double)), *sprompt = xmalloc(cap * sizeof(double));
    double *stpot = xmalloc(cap * sizeof(double));
    size_t n_tpot = 0, k_itl = 0, n_srv = 0, n_stpot = 0, n_good = 0, n_mismatch = 0;
    long total_in = 0, total_out = 0, cached = 0, s_cache = 0;
    double tw_num = 0, tw_den = 0;
    uint64_t end = start_ns, min_start = UINT64_MAX, max_end = 0;
    for (size_t i = 0; i < n; i++) /* the level ends when its last request does */
        if (recs[i].send_ns && recs[i].end_ns > end)
            end = recs[i].end_ns;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct load_rec *r = &recs[i];
        if (!r->ok)
            continue;
        double f = ms_between(r->send_ns, r->t[0]);
        double e = ms_between(r->send_ns, r->t[r->n_t - 1]);
        int out = r->completion_tokens;
        ttft[k] = f;
        e2el[k] = e;
        double tp = 0;
        if (out > 1) {
            tp = (e - f) / (out - 1);
            tpot[n_tpot++] = tp;
            tw_num += e - f;
            tw_den += out - 1;
        }
        for (size_t c = 1; c < r->n_t; c++)
            itl[k_itl++] = ms_between(r->t[c - 1], r->t[c]);
        total_in +=
            r->prompt_len >= 0 ? r->prompt_len : (r->prompt_tokens > 0 ? r->prompt_tokens : 0);
        total_out += out;
        if (r->cached_tokens > 0)
            cached += r->cached_tokens;
        bool good = (!p->slo_ttft || f <= p->slo_ttft) && (!p->slo_tpot || tp <= p->slo_tpot) &&
                    (!p->slo_e2el || e <= p->slo_e2el);
        n_good += good;
        if (r->has_timings) {
            sprompt[n_srv] = r->s_prompt_ms;
            qn[n_srv++] = f - r->s_prompt_ms;
            s_cache += (long)r->s_cache_n;
            if (r->s_predicted_n > 1)
                stpot[n_stpot++] = r->s_predicted_per_token_ms;
            n_mismatch += (int)r->s_predicted_n != out;
        }
        if (r->send_ns < min_start)
            min_start = r->send_ns;
        if (r->t[r->n_t - 1] > max_end)
            max_end = r->t[r->n_t - 1];
        k++;
    }
    double duration = (double)(end - start_ns) / 1e9;
    /* vLLM's per-second buckets: chunks and active requests of the successful ones */
    double max_tps = 0, max_conc = 0;
    if (n_ok) {
        size_t nb = (size_t)ceil((double)(max_end - min_start) / 1e9) + 1;
        double *tps = xcalloc(nb, sizeof(double)), *conc = xcalloc(nb, sizeof(double));
        for (size_t i = 0; i < n; i++) {
            const struct load_rec *r = &recs[i];
            if (!r->ok)
                continue;
            for (size_t c = 0; c < r->n_t; c++)
                tps[(r->t[c] - min_start) / 1000000000u]++;
            size_t s0 = (r->send_ns - min_start) / 1000000000u;
            size_t s1 = (r->t[r->n_t - 1] - min_start) / 1000000000u;
            for (size_t s = s0; s <= s1 && s < nb; s++)
                conc[s]++;
        }
        for (size_t b = 0; b < nb; b++) {
            max_tps = tps[b] > max_tps ? tps[b] : max_tps;
            max_conc = conc[b] > max_conc ? conc[b] : max_conc;
        }
        free(tps);
        free(conc);
    }
    /* vLLM's keys */
    cJSON_AddNumberToObject(o, "duration", duration);
    cJSON_AddNumberToObject(o, "completed", (double)n_ok);
    cJSON_AddNumberToObject(o, "failed", (double)(n_sent - n_ok));
    cJSON_AddNumberToObject(o, "total_input_tokens", (double)total_in);
    cJSON_AddNumberToObject(o, "total_output_tokens", (double)total_out);
    cJSON_AddNumberToObject(o, "request_throughput", duration > 0 ? n_ok / duration : 0);
    if (p->slo_ttft || p->slo_tpot || p->slo_e2el)
        cJSON_AddNumberToObject(o, "request_goodput", duration > 0 ? n_good / duration : 0);
    cJSON_AddNumberToObject(o, "output_throughput", duration > 0 ? total_out / duration : 0);
    cJSON_AddNumberToObject(o, "total_token_throughput",
                            duration > 0 ? (total_in + total_out) / duration : 0);
    cJSON_AddNumberToObject(o, "max_output_tokens_per_s", max_tps);
    cJSON_AddNumberToObject(o, "max_concurrent_requests", max_conc);
    if (isinf(request_rate))
        cJSON_AddStringToObject(o, "request_rate", "inf");
    else
        cJSON_AddNumberToObject(o, "request_rate", request_rate);
    cJSON_AddNumberToObject(o, "burstiness", p->burstiness);
    if (max_concurrency > 0)
        cJSON_AddNumberToObject(o, "max_concurrency", max_concurrency);
    else
        cJSON_AddNullToObject(o, "max_concurrency");
    /* the failure-adjusted ones before add_dist sorts (order does not matter to them) */
    cJSON *adj = cJSON_CreateObject();
    add_adjusted(adj, "ttft", ttft, n_ok, n_sent - n_ok);
    add_adjusted(adj, "e2el", e2el, n_ok, n_sent - n_ok);
    add_dist(o, "ttft", ttft, n_ok);
    add_dist(o, "tpot", tpot, n_tpot);
    add_dist(o, "itl", itl, n_itl);
    add_dist(o, "e2el", e2el, n_ok);
    /* ours */
    cJSON_AddNumberToObject(o, "qb_tpot_token_weighted_ms", tw_den > 0 ? tw_num / tw_den : 0);
    cJSON *it;
    cJSON_ArrayForEach (it, adj)
        cJSON_AddItemToObject(o, it->string, cJSON_Duplicate(it, 1));
    cJSON_Delete(adj);
    cJSON_AddNumberToObject(o, "qb_sent", (double)n_sent);
    cJSON_AddNumberToObject(o, "qb_not_sent", (double)(n - n_sent));
    /* coordinated omission made visible: when the requests went against when they were due */
    double *lag = xmalloc((n_sent ? n_sent : 1) * sizeof(double));
    double *eff = xmalloc((n_ok ? n_ok : 1) * sizeof(double));
    size_t n_lag = 0, n_eff = 0;
    uint64_t last_send = start_ns;
    for (size_t i = 0; i < n; i++) {
        const struct load_rec *r = &recs[i];
        if (!r->send_ns)
            continue;
        lag[n_lag++] = ms_between(r->issue_ns, r->send_ns);
        last_send = r->send_ns > last_send ? r->send_ns : last_send;
        if (r->ok)
            eff[n_eff++] = ms_between(r->issue_ns, r->t[r->n_t - 1]);
    }
    double span = (double)(last_send - start_ns) / 1e9;
    cJSON_AddNumberToObject(o, "qb_achieved_request_rate", span > 0 ? (double)n_sent / span : 0);
    qsort(lag, n_lag, sizeof(*lag), cmp_double);
    double ls = 0;
    for (size_t i = 0; i < n_lag; i++)
        ls += lag[i];
    cJSON_AddNumberToObject(o, "qb_mean_schedule_lag_ms", n_lag ? ls / (double)n_lag : 0);
    cJSON_AddNumberToObject(o, "qb_p99_schedule_lag_ms", stats_percentile_linear(lag, n_lag, 99));
    cJSON_AddNumberToObject(o, "qb_max_schedule_lag_ms", n_lag ? lag[n_lag - 1] : 0);
    qsort(eff, n_eff, sizeof(*eff), cmp_double);
    cJSON_AddNumberToObject(o, "qb_median_effective_e2el_ms",
                            stats_percentile_linear(eff, n_eff, 50));
    cJSON_AddNumberToObject(o, "qb_p99_effective_e2el_ms", stats_percentile_linear(eff, n_eff, 99));
    cJSON_AddNumberToObject(o, "qb_total_cached_tokens", (double)cached);
    /* llama-server's own timings, joined to each request */
    cJSON_AddNumberToObject(o, "qb_server_timings_n", (double)n_srv);
    if (n_srv) {
        double sp = 0, sq = 0, st = 0;
        for (size_t i = 0; i < n_srv; i++)
            sp += sprompt[i], sq += qn[i];
        for (size_t i = 0; i < n_stpot; i++)
            st += stpot[i];
        qsort(sprompt, n_srv, sizeof(double), cmp_double);
        qsort(qn, n_srv, sizeof(double), cmp_double);
        qsort(stpot, n_stpot, sizeof(double), cmp_double);
        cJSON_AddNumberToObject(o, "qb_mean_server_prompt_ms", sp / (double)n_srv);
        cJSON_AddNumberToObject(o, "qb_median_server_prompt_ms",
                                stats_percentile_linear(sprompt, n_srv, 50));
        cJSON_AddNumberToObject(o, "qb_mean_server_tpot_ms", n_stpot ? st / (double)n_stpot : 0);
        cJSON_AddNumberToObject(o, "qb_median_server_tpot_ms",
                                stats_percentile_linear(stpot, n_stpot, 50));
        cJSON_AddNumberToObject(o, "qb_mean_queue_plus_network_ms", sq / (double)n_srv);
        cJSON_AddNumberToObject(o, "qb_median_queue_plus_network_ms",
                                stats_percentile_linear(qn, n_srv, 50));
        cJSON_AddNumberToObject(o, "qb_p99_queue_plus_network_ms",
                                stats_percentile_linear(qn, n_srv, 99));
        cJSON_AddNumberToObject(o, "qb_server_cache_n", (double)s_cache);
        cJSON_AddNumberToObject(o, "qb_server_token_count_mismatches", (double)n_mismatch);
    }
    /* the failures by cause */
    cJSON *causes = cJSON_AddObjectToObject(o, "qb_failures");
    for (size_t i = 0; i < n; i++) {
        const struct load_rec *r = &recs[i];
        if (r->ok || !r->send_ns)
            continue;
        cJSON *c = cJSON_GetObjectItemCaseSensitive(causes, r->cause);
        if (c)
            cJSON_SetNumberValue(c, c->valuedouble + 1);
        else
            cJSON_AddNumberToObject(causes, r->cause, 1);
    }
    /* per-request samples, for compare's intervals (sorted, ms) */
    cJSON_AddItemToObject(o, "samples_ttft_ms", cJSON_CreateDoubleArray(ttft, (int)n_ok));
    cJSON_AddItemToObject(o, "samples_tpot_ms", cJSON_CreateDoubleArray(tpot, (int)n_tpot));
    cJSON_AddItemToObject(o, "samples_e2el_ms", cJSON_CreateDoubleArray(e2el, (int)n_ok));
    free(ttft);
    free(tpot);
    free(e2el);
    free(itl);
    free(qn);
    free(sprompt);
    free(stpot);
    free(lag);
    free(eff);
    return o;
}

/* ---------------------------------------------------------------- schedule and data */

static double unif(uint64_t *s) /* (0, 1) */
{
    return ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(uint64_t *s)
{
    return sqrt(-2 * log(unif(s))) * cos(2 * M_PI * unif(s));
}

/* Gamma(shape, 1) by Marsaglia and Tsang; shape < 1 through shape + 1 and U^(1/shape) */
static double gamma1(uint64_t *s, double shape)
{
    if (shape < 1)
        return gamma1(s, shape + 1) * pow(unif(s), 1 / shape);
    double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = normal(s), v = 1 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = unif(s);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
}

void load_schedule(const struct load_params *p, double rate, int n, uint64_t seed, uint64_t *due)
{
    uint64_t s = seed ^ 0x5eedull;
    double t = 0;
    double *at = xmalloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    for (int i = 0; i < n; i++) {
        double r = rate;
        if (p->ramp != LOAD_RAMP_NONE) {
            double prog = n > 1 ? (double)i / (n - 1) : 0;
            r = p->ramp == LOAD_RAMP_LINEAR
                    ? p->ramp_start + (p->ramp_end - p->ramp_start) * prog
                    : p->ramp_start * pow(p->ramp_end / p->ramp_start, prog);
        }
        if (!isinf(r) && r > 0)
            t += gamma1(&s, p->burstiness) / (r * p->burstiness);
        at[i] = t;
    }
    if (p->ramp == LOAD_RAMP_NONE && !isinf(rate) && n > 0 && at[n - 1] > 0) {
        double f = (double)n / rate / at[n - 1];
        for (int i = 0; i < n; i++)
            at[i] *= f;
    }
    for (int i = 0; i < n; i++)
        due[i] = (uint64_t)(at[i] * 1e9);
    free(at);
}

struct prompt {
    char *body_tail; /* the request's prompt part of the JSON: "\"prompt\":[...]" (owned) */
    int prompt_len, max_tokens;
};

/* vLLM's range: uniform integers in [floor(L(1-r)), ceil(L(1+r))] */
static int draw_len(uint64_t *s, int len, double r)
{
    int lo = (int)floor(len * (1 - r)), hi = (int)ceil(len * (1 + r));
    if (lo < 1)
        lo = 1;
    if (hi < lo)
        hi = lo;
    return lo + (int)(rng_next(s) % (uint64_t)(hi - lo + 1));
}

/* the dataset: p->num_prompts prompts (random token ids, or the texts cycled) */
static struct prompt *make_prompts(const struct load_params *p, int vocab, uint64_t nonce)
{
    struct prompt *ps = xcalloc((size_t)p->num_prompts, sizeof(*ps));
    uint64_t s = p->seed * 0x9e3779b97f4a7c15ull + 1;
    /* ids from 100 up: the first ids of most vocabularies are control tokens */
    int lo_id = vocab > 1000 ? 100 : 0, span = vocab - lo_id;
    int *prefix = xmalloc((size_t)(p->prefix_len > 0 ? p->prefix_len : 1) * sizeof(int));
    for (int j = 0; j < p->prefix_len; j++)
        prefix[j] = lo_id + (int)(rng_next(&s) % (uint64_t)span);
    for (int i = 0; i < p->num_prompts; i++) {
        struct prompt *q = &ps[i];
        int in = draw_len(&s, p->input_len, p->range_ratio);
        q->max_tokens = draw_len(&s, p->output_len, p->range_ratio);
        uint64_t off = rng_next(&s);
        if (p->cache_bust) {
            uint64_t b = nonce + (uint64_t)i;
            off ^= rng_next(&b);
        }
        if (p->texts) {
            const char *t = p->texts[i % p->n_texts];
            cJSON *str = cJSON_CreateString(t);
            char *js = cJSON_PrintUnformatted(str);
            cJSON_Delete(str);
            char *bust =
                p->cache_bust ? xasprintf("[%016llx] ", (unsigned long long)off) : xstrdup("");
            /* the bust mark goes first: no two prompts share a prefix then */
            char *withb = xasprintf("\"%s%s", bust, js + 1);
            free(js);
            free(bust);
            q->prompt_len = -1;
            q->body_tail =
                p->endpoint == LOAD_CHAT
                    ? xasprintf("\"messages\":[{\"role\":\"user\",\"content\":%s}]", withb)
                    : xasprintf("\"prompt\":%s", withb);
            free(withb);
            continue;
        }
        int total = p->prefix_len + in;
        q->prompt_len = total;
        size_t cap = (size_t)total * 8 + 64, len = 0;
        char *b = xmalloc(cap);
        if (p->endpoint == LOAD_CHAT) {
            /* text of numbers: the tokens are the server's to count (usage.prompt_tokens) */
            q->prompt_len = -1;
            len += (size_t)snprintf(b, cap, "\"messages\":[{\"role\":\"user\",\"content\":\"");
            for (int j = 0; j < total; j++) {
                int id = j < p->prefix_len
                             ? prefix[j]
                             : lo_id + (int)((off + (uint64_t)i + (uint64_t)j) % (uint64_t)span);
                len += (size_t)snprintf(b + len, cap - len, "%s%d", j ? " " : "", id);
            }
            snprintf(b + len, cap - len, "\"}]");
        } else {
            len += (size_t)snprintf(b, cap, "\"prompt\":[");
            for (int j = 0; j < total; j++) {
                int id = j < p->prefix_len
                             ? prefix[j]
                             : lo_id + (int)((off + (uint64_t)i + (uint64_t)j) % (uint64_t)span);
                len += (size_t)snprintf(b + len, cap - len, "%s%d", j ? "," : "", id);
            }
            snprintf(b + len, cap - len, "]");
        }
        q->body_tail = b;
    }
    free(prefix);
    return ps;
}

static char *request_body(const struct load_params *p, const char *model, const struct prompt *q)
{
    cJSON *o = cJSON_CreateObject();
    if (model && model[0])
        cJSON_AddStringToObject(o, "model", model);
    cJSON_AddNumberToObject(o, p->endpoint == LOAD_CHAT ? "max_completion_tokens" : "max_tokens",
                            q->max_tokens);
    if (p->endpoint == LOAD_CHAT) /* llama-server reads max_tokens */
        cJSON_AddNumberToObject(o, "max_tokens", q->max_tokens);
    cJSON_AddBoolToObject(o, "stream", true);
    cJSON_AddBoolToObject(cJSON_AddObjectToObject(o, "stream_options"), "include_usage", true);
    cJSON_AddNumberToObject(o, "temperature", 0);
    if (p->ignore_eos)
        cJSON_AddBoolToObject(o, "ignore_eos", true);
    char *head = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    size_t hl = strlen(head);
    head[hl - 1] = '\0'; /* the closing brace: the prompt goes after */
    char *b = xasprintf("%s,%s}", head, q->body_tail);
    free(head);
    return b;
}

/* ---------------------------------------------------------------- probe */

bool load_url_is_loopback(const char *url)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    const char *at = strchr(h, '@');
    const char *slash = strchr(h, '/');
    if (at && (!slash || at < slash))
        h = at + 1;
    if (!strncmp(h, "[::1]", 5))
        return true;
    size_t n = strcspn(h, ":/");
    if (n == 9 && !strncasecmp(h, "localhost", 9))
        return true;
    int a, b, c, d;
    char rest;
    char host[64];
    if (n >= sizeof(host))
        return false;
    memcpy(host, h, n);
    host[n] = '\0';
    return sscanf(host, "%d.%d.%d.%d%c", &a, &b, &c, &d, &rest) == 4 && a == 127;
}

/* GET base+path: the status into probe[key], the JSON body (or NULL) returned */
static cJSON *probe_one(cJSON *probe, const char *base, const char *path, const char *key,
                        const char *post, const char *const *hdr, double timeout)
{
    char url[1024], err[QB_ERR_LEN];
    snprintf(url, sizeof(url), "%s%s", base, path);
    long st = 0;
    size_t cap = 256u << 10;
    char *body = xmalloc(cap);
    int rc = post ? netload_post(url, post, hdr, timeout, &st, body, cap, err)
                  : netload_get(url, hdr, timeout, &st, body, cap, err);
    cJSON_AddNumberToObject(probe, key, rc < 0 ? 0 : (double)st);
    cJSON *j = rc == 0 && st == 200 ? cJSON_Parse(body) : NULL;
    if (rc == 0 && st == 200 && !strcmp(key, "metrics"))
        cJSON_AddBoolToObject(probe, "metrics_prometheus", strstr(body, "# TYPE") != NULL);
    free(body);
    return j;
}

/* The capability probe of base: each endpoint's status and what we use of them */
static cJSON *probe_target(const char *base, const char *const *hdr, double timeout)
{
    cJSON *pr = cJSON_CreateObject();
    cJSON_AddStringToObject(pr, "url", base);
    cJSON_Delete(probe_one(pr, base, "/health", "health", NULL, hdr, timeout));
    cJSON *models = probe_one(pr, base, "/v1/models", "models", NULL, hdr, timeout);
    const cJSON *m0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(models, "data"), 0);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(m0, "id");
    if (cJSON_IsString(id))
        cJSON_AddStringToObject(pr, "model", id->valuestring);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(m0, "meta");
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(meta, "n_vocab")))
        cJSON_AddNumberToObject(pr, "n_vocab", num_or(meta, "n_vocab", 0));
    cJSON_Delete(models);
    cJSON *props = probe_one(pr, base, "/props", "props", NULL, hdr, timeout);
    if (props) {
        cJSON_AddNumberToObject(pr, "total_slots", num_or(props, "total_slots", 0));
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(props, "default_generation_settings");
        cJSON_AddNumberToObject(pr, "n_ctx", num_or(g, "n_ctx", 0));
        const cJSON *bi = cJSON_GetObjectItemCaseSensitive(props, "build_info");
        if (cJSON_IsString(bi))
            cJSON_AddStringToObject(pr, "build_info", bi->valuestring);
    }
    cJSON_Delete(props);
    cJSON_Delete(probe_one(pr, base, "/slots", "slots", NULL, hdr, timeout));
    cJSON_Delete(probe_one(pr, base, "/metrics", "metrics", NULL, hdr, timeout));
    cJSON_Delete(
        probe_one(pr, base, "/tokenize", "tokenize", "{\"content\":\"hello\"}", hdr, timeout));
    return pr;
}

/* ---------------------------------------------------------------- a level */

struct level {
    const struct load_params *p;
    struct load_rec *recs;
    const struct netload_req *reqs;
};

static int on_event(void *ud, size_t i, const char *data, size_t len, uint64_t now_ns, char *err)
{
    struct level *lv = ud;
    (void)len;
    return load_chunk(&lv->recs[i], data, now_ns, err);
}

/* the reason of a non-2xx answer: the status and the server's message */
static void http_reason(struct load_rec *r, const struct netload_done *d)
{
    cJSON *o = cJSON_Parse(d->body);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    const cJSON *msg = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : e;
    if (!cJSON_IsString(msg))
        msg = cJSON_GetObjectItemCaseSensitive(o, "message");
    char *esc = str_escape(cJSON_IsString(msg) ? msg->valuestring : d->body, 0);
    size_t n = strlen(esc);
    while (n && strchr(" \t\r\n", esc[n - 1]))
        esc[--n] = '\0';
    if (esc[0])
        set_err(r->reason, "HTTP %ld: %.300s", d->status, esc);
    else
        set_err(r->reason, "HTTP %ld", d->status);
    free(esc);
    cJSON_Delete(o);
}

static void on_done(void *ud, size_t i, const struct netload_done *d)
{
    struct level *lv = ud;
    struct load_rec *r = &lv->recs[i];
    r->issue_ns = d->issue_ns;
    r->send_ns = d->send_ns;
    r->end_ns = d->end_ns;
    r->status = d->status;
    r->kind = d->kind;
    r->ok = false;
    const char *cause = "other";
    if (!d->sent) {
        cause = "not_sent";
        snprintf(r->reason, sizeof(r->reason), "%s", d->err);
    } else if (d->kind != QB_KIND_OK) {
        snprintf(r->reason, sizeof(r->reason), "%s", d->err);
        if (d->status && (d->status < 200 || d->status >= 300)) {
            snprintf(r->cause, sizeof(r->cause), "http_%ld", d->status);
            cause = NULL;
            http_reason(r, d);
        } else if (d->connect_failed) {
            cause = "connect";
        } else if (d->kind == QB_KIND_INTERRUPTED) {
            cause = "interrupted";
        } else if (strstr(d->err, "idle timeout")) {
            cause = "stalled";
        } else if (strstr(d->err, "time limit")) {
            cause = "run_time_limit";
        } else if (d->kind == QB_KIND_TIMEOUT) {
            cause = "timeout";
        } else if (!strncmp(d->err, "malformed event", 15)) {
            cause = "malformed_sse";
        } else if (!strncmp(d->err, "the server: ", 12)) {
            cause = "server_error";
        } else if (d->n_events > 0 || d->status) {
            cause = "cut";
        } else {
            cause = "connection";
        }
    } else if (d->n_events == 0 && !strstr(d->content_type, "text/event-stream")) {
        cause = "not_a_stream";
        set_err(r->reason, "the answer is not an event stream (Content-Type: %s)",
                d->content_type[0] ? d->content_type : "none");
    } else if (!r->done && !r->finish[0]) {
        cause = "cut";
        set_err(r->reason,
                "the stream ended before its end (%s; %ld events, no finish_reason, no [DONE])",
                d->cut ? "cut inside an event" : "the connection closed", d->n_events);
    } else if (r->n_t == 0) {
        cause = "no_tokens";
        set_err(r->reason, "no event with choices in the stream");
    } else if (!r->has_usage) {
        cause = "no_usage";
        set_err(r->reason, "no usage in the stream (stream_options.include_usage ignored)");
    } else {
        r->ok = true;
        r->kind = QB_KIND_OK;
        cause = "";
        r->reason[0] = '\0';
    }
    if (!r->ok && r->kind == QB_KIND_OK)
        r->kind = QB_KIND_RUNTIME;
    if (cause)
        snprintf(r->cause, sizeof(r->cause), "%s", cause);
}

/* one request's record for the JSONL: times in ns from the level's start */
static cJSON *rec_json(const struct load_rec *r, const char *target, int level, uint64_t start)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "target", target);
    cJSON_AddNumberToObject(o, "level", level);
    cJSON_AddNumberToObject(o, "index", r->index);
    cJSON_AddBoolToObject(o, "success", r->ok);
    cJSON_AddStringToObject(o, "cause", r->cause);
    cJSON_AddStringToObject(o, "error", r->reason);
    cJSON_AddNumberToObject(o, "status", (double)r->status);
    cJSON_AddNumberToObject(o, "start_ns", (double)start);
    cJSON_AddNumberToObject(o, "issue_ns", r->issue_ns ? (double)(r->issue_ns - start) : 0);
    if (r->send_ns) {
        cJSON_AddNumberToObject(o, "send_ns", (double)(r->send_ns - start));
        cJSON_AddNumberToObject(o, "end_ns", (double)(r->end_ns - start));
    } else {
        cJSON_AddNullToObject(o, "send_ns");
        cJSON_AddNullToObject(o, "end_ns");
    }
    cJSON *ts = cJSON_AddArrayToObject(o, "chunk_ns");
    for (size_t c = 0; c < r->n_t; c++)
        cJSON_AddItemToArray(ts, cJSON_CreateNumber((double)(r->t[c] - start)));
    if (r->prompt_len >= 0)
        cJSON_AddNumberToObject(o, "prompt_len", r->prompt_len);
    else
        cJSON_AddNullToObject(o, "prompt_len");
    cJSON_AddNumberToObject(o, "max_tokens", r->max_tokens);
    if (r->has_usage) {
        cJSON_AddNumberToObject(o, "output_tokens", r->completion_tokens);
        cJSON_AddNumberToObject(o, "usage_prompt_tokens", r->prompt_tokens);
        if (r->cached_tokens >= 0)
            cJSON_AddNumberToObject(o, "usage_cached_tokens", r->cached_tokens);
    } else {
        cJSON_AddNullToObject(o, "output_tokens");
    }
    cJSON_AddStringToObject(o, "finish_reason", r->finish);
    if (r->has_timings) {
        cJSON_AddNumberToObject(o, "server_prompt_n", r->s_prompt_n);
        cJSON_AddNumberToObject(o, "server_prompt_ms", r->s_prompt_ms);
        cJSON_AddNumberToObject(o, "server_cache_n", r->s_cache_n);
        cJSON_AddNumberToObject(o, "server_predicted_n", r->s_predicted_n);
        cJSON_AddNumberToObject(o, "server_predicted_ms", r->s_predicted_ms);
        cJSON_AddNumberToObject(o, "server_predicted_per_token_ms", r->s_predicted_per_token_ms);
        if (r->ok)
            cJSON_AddNumberToObject(o, "queue_plus_network_ms",
                                    ms_between(r->send_ns, r->t[0]) - r->s_prompt_ms);
    }
    return o;
}

static void note(const struct load_sink *sink, const char *fmt, ...) QB_FMT(2, 3);
static void note(const struct load_sink *sink, const char *fmt, ...)
{
    if (!sink || !sink->note)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    sink->note(sink->ud, buf);
}

int load_run(const struct load_params *p, const struct load_sink *sink, char *err)
{
    char *auth =
        p->api_key && p->api_key[0] ? xasprintf("Authorization: Bearer %s", p->api_key) : NULL;
    const char *hdr[] = {auth, NULL};
    const char *const *hp = auth ? hdr : NULL;
    char *model[LOAD_MAX_TARGETS] = {0};
    cJSON *probe[LOAD_MAX_TARGETS] = {0};
    int vocab = p->vocab, ret = 0;
    struct prompt *ps = NULL;
    for (int t = 0; t < p->n_targets; t++) {
        probe[t] = probe_target(p->targets[t].base, hp, 5);
        if (sink && sink->probe)
            sink->probe(sink->ud, t, probe[t]);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(probe[t], "model");
        model[t] = xstrdup(p->model ? p->model : cJSON_IsString(m) ? m->valuestring : "");
        int nv = (int)num_or(probe[t], "n_vocab", 0);
        if (!p->vocab && nv > 0 && (vocab == 0 || nv < vocab))
            vocab = nv; /* the smallest: every target takes every id */
    }
    if (!p->texts && p->endpoint == LOAD_COMPLETIONS && vocab <= 1) {
        ret = QB_EXIT_INPUT;
        set_err(err,
                "'%s': the server lists no n_vocab (GET /v1/models): give --vocab-size for "
                "random token prompts",
                p->targets[0].base);
        goto out;
    }
    if (vocab <= 1)
        vocab = 32000;
    int n_levels = p->n_rates > p->n_concurrency ? p->n_rates : p->n_concurrency;
    if (n_levels < 1)
        n_levels = 1;
    int n_all = p->num_prompts * p->n_targets;
    size_t n_ok_all = 0, n_sent_all = 0;
    char first_err[QB_ERR_LEN] = "";
    for (int lvl = 0; lvl < n_levels && !sig_caught(); lvl++) {
        int conc = p->n_concurrency ? p->max_concurrency[p->n_concurrency > 1 ? lvl : 0] : 0;
        double rate = p->n_rates ? p->request_rate[p->n_rates > 1 ? lvl : 0] : INFINITY;
        if (p->ramp != LOAD_RAMP_NONE)
            rate = p->ramp_end;
        /* the same prompts at every level unless busting caches */
        free(ps);
        ps = NULL;
        uint64_t nonce = monotime_ns() * 0x9e3779b97f4a7c15ull + (uint64_t)lvl;
        ps = make_prompts(p, vocab, nonce);
        uint64_t *due = xmalloc((size_t)p->num_prompts * sizeof(uint64_t));
        load_schedule(p, rate, p->num_prompts, p->seed + (uint64_t)lvl, due);
        struct netload_req *reqs = xcalloc((size_t)n_all, sizeof(*reqs));
        struct load_rec *recs = xcalloc((size_t)n_all, sizeof(*recs));
        char **bodies = xcalloc((size_t)n_all, sizeof(char *)),
             **ids = xcalloc((size_t)n_all, sizeof(char *));
        char **urls = xcalloc((size_t)p->n_targets, sizeof(char *));
        int caps[LOAD_MAX_TARGETS];
        for (int t = 0; t < p->n_targets; t++) {
            urls[t] = xasprintf("%s%s", p->targets[t].base, p->endpoint_path);
            caps[t] = conc;
        }
        for (int t = 0; t < p->n_targets; t++)
            for (int i = 0; i < p->num_prompts; i++) {
                int k = t * p->num_prompts + i;
                bodies[k] = request_body(p, model[t], &ps[i]);
                ids[k] = xasprintf("qb-%d-%d-%d", lvl, t, i);
                reqs[k] = (struct netload_req){urls[t], bodies[k], ids[k], t, due[i]};
                recs[k].target = t;
                recs[k].index = i;
                recs[k].prompt_len = ps[i].prompt_len;
                recs[k].max_tokens = ps[i].max_tokens;
                recs[k].prompt_tokens = recs[k].completion_tokens = recs[k].cached_tokens = -1;
            }
        char cs[16] = "none", rs[32] = "inf";
        if (conc)
            snprintf(cs, sizeof(cs), "%d", conc);
        if (!isinf(rate))
            snprintf(rs, sizeof(rs), "%g/s", rate);
        note(sink, "level %d/%d: %d requests to each of %d target(s), max concurrency %s, rate %s",
             lvl + 1, n_levels, p->num_prompts, p->n_targets, cs, rs);
        struct level lv = {p, recs, reqs};
        struct netload l;
        memset(&l, 0, sizeof(l));
        l.reqs = reqs;
        l.n = (size_t)n_all;
        l.lane_cap = caps;
        l.n_lanes = p->n_targets;
        l.headers = hp;
        l.connect_timeout_s = p->connect_timeout_s;
        l.idle_timeout_s = p->idle_timeout_s;
        l.timeout_s = p->timeout_s;
        l.max_duration_s = p->max_duration_s;
        l.on_event = on_event;
        l.on_done = on_done;
        l.ud = &lv;
        int lrc = netload_run(&l, err);
        for (int t = 0; t < p->n_targets && lrc == 0; t++) {
            struct load_rec *tr = recs + (size_t)t * p->num_prompts;
            cJSON *row = cJSON_CreateObject();
            cJSON_AddStringToObject(row, "target", p->targets[t].name);
            cJSON_AddStringToObject(row, "base_url", p->targets[t].base);
            cJSON_AddStringToObject(row, "endpoint", p->endpoint_path);
            cJSON_AddStringToObject(row, "model_filename", model[t]);
            cJSON_AddStringToObject(row, "dataset", p->dataset);
            cJSON_AddNumberToObject(row, "level", lvl);
            cJSON_AddNumberToObject(row, "num_prompts", p->num_prompts);
            if (!p->texts) {
                cJSON_AddNumberToObject(row, "random_input_len", p->input_len);
                cJSON_AddNumberToObject(row, "random_output_len", p->output_len);
                cJSON_AddNumberToObject(row, "random_range_ratio", p->range_ratio);
                cJSON_AddNumberToObject(row, "random_prefix_len", p->prefix_len);
            }
            cJSON_AddBoolToObject(row, "cache_bust", p->cache_bust);
            cJSON_AddNumberToObject(row, "seed", (double)p->seed);
            if (p->ramp != LOAD_RAMP_NONE) {
                cJSON_AddStringToObject(row, "ramp_up_strategy",
                                        p->ramp == LOAD_RAMP_LINEAR ? "linear" : "exponential");
                cJSON_AddNumberToObject(row, "ramp_up_start_rps", p->ramp_start);
                cJSON_AddNumberToObject(row, "ramp_up_end_rps", p->ramp_end);
            }
            if (p->slo_ttft || p->slo_tpot || p->slo_e2el) {
                cJSON *g = cJSON_AddObjectToObject(row, "goodput_slo_ms");
                if (p->slo_ttft)
                    cJSON_AddNumberToObject(g, "ttft", p->slo_ttft);
                if (p->slo_tpot)
                    cJSON_AddNumberToObject(g, "tpot", p->slo_tpot);
                if (p->slo_e2el)
                    cJSON_AddNumberToObject(g, "e2el", p->slo_e2el);
            }
            cJSON *sum = load_summary(p, tr, (size_t)p->num_prompts, l.start_ns, conc, rate);
            cJSON *it;
            cJSON_ArrayForEach (it, sum)
                cJSON_AddItemToObject(row, it->string, cJSON_Duplicate(it, 1));
            cJSON_Delete(sum);
            cJSON_AddNumberToObject(row, "qb_client_max_in_flight", l.max_in_flight);
            size_t ok = 0, sent = 0;
            const char *why = "";
            for (int i = 0; i < p->num_prompts; i++) {
                ok += tr[i].ok;
                sent += tr[i].send_ns != 0;
                if (!tr[i].ok && !why[0])
                    why = tr[i].reason;
            }
            n_ok_all += ok;
            n_sent_all += sent;
            if (why[0] && !first_err[0])
                snprintf(first_err, sizeof(first_err), "%s", why);
            /* failed requests are part of what a level measured (failed, qb_failures): the
             * row is a result while any request succeeded */
            cJSON_AddStringToObject(row, "status", ok ? "ok" : "error");
            cJSON_AddStringToObject(row, "error", why);
            cJSON_AddItemToObject(row, "probe", cJSON_Duplicate(probe[t], 1));
            for (int i = 0; i < p->num_prompts && sink && sink->request; i++) {
                cJSON *rj = rec_json(&tr[i], p->targets[t].name, lvl, l.start_ns);
                sink->request(sink->ud, rj);
                cJSON_Delete(rj);
            }
            if (sink && sink->row)
                sink->row(sink->ud, row);
            cJSON_Delete(row);
        }
        for (int k = 0; k < n_all; k++) {
            free(bodies[k]);
            free(ids[k]);
            load_rec_release(&recs[k]);
        }
        for (int t = 0; t < p->n_targets; t++)
            free(urls[t]);
        free(urls);
        free(bodies);
        free(ids);
        free(recs);
        free(reqs);
        free(due);
        for (int i = 0; i < p->num_prompts; i++)
            free(ps[i].body_tail);
        if (lrc < 0) {
            ret = QB_EXIT_FAIL;
            goto out;
        }
        if (l.interrupted)
            break;
    }
    if (sig_caught())
        ret = sig_exit_code();
    else if (n_ok_all == 0) {
        ret = QB_EXIT_FAIL;
        set_err(err, "no request succeeded: %s", first_err[0] ? first_err : "none was sent");
    } else if (n_ok_all < (size_t)n_all * (size_t)n_levels) {
        ret = QB_EXIT_PARTIAL;
        set_err(err, "%zu of %zu requests failed or were not sent; the first: %s",
                (size_t)n_all * (size_t)n_levels - n_ok_all, (size_t)n_all * (size_t)n_levels,
                first_err);
    }
    (void)n_sent_all;
out:
    free(ps);
    for (int t = 0; t < p->n_targets; t++) {
        free(model[t]);
        cJSON_Delete(probe[t]);
    }
    free(auth);
    return ret;
}
