/* prompts against an OpenAI-compatible server (see prompts_server.h). A request's clock
 * starts when libcurl is handed it (connecting included where the server closed the last
 * connection: a loopback connect is a fraction of a millisecond); each chunk is timed as it
 * arrives, in libcurl's write callback. TTFT ends at the first chunk with content, the
 * generation at the last; gen t/s is the tokens after the first over that time. */
#include "prompts_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../net/http.h"
#include "../util/clock.h"
#include "../util/sig.h"
#include "../util/util.h"

char *prompts_server_endpoint(const char *url)
{
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        n--;
    bool v1 = n >= 3 && !memcmp(url + n - 3, "/v1", 3);
    return xasprintf("%.*s%s", (int)n, url, v1 ? "/chat/completions" : "/v1/chat/completions");
}

cJSON *prompts_server_request(const struct prompts_params *p,
                              const struct prompts_server_params *sp, const char *system,
                              const char *prompt)
{
    const struct prompts_gen_params *g = &p->gen;
    cJSON *o = cJSON_CreateObject();
    if (sp->model_name && sp->model_name[0])
        cJSON_AddStringToObject(o, "model", sp->model_name);
    cJSON *msgs = cJSON_AddArrayToObject(o, "messages");
    if (system && system[0]) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "system");
        cJSON_AddStringToObject(m, "content", system);
        cJSON_AddItemToArray(msgs, m);
    }
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    cJSON_AddStringToObject(m, "content", prompt);
    cJSON_AddItemToArray(msgs, m);
    cJSON_AddBoolToObject(o, "stream", true);
    cJSON_AddBoolToObject(cJSON_AddObjectToObject(o, "stream_options"), "include_usage", true);
    cJSON_AddNumberToObject(o, "max_tokens", g->max_tokens);
    /* greedy as 0: llama-server then takes the most probable token, as we do */
    cJSON_AddNumberToObject(o, "temperature", g->sp.temp > 0 ? g->sp.temp : 0);
    cJSON_AddNumberToObject(o, "top_p", g->sp.top_p);
    cJSON_AddNumberToObject(o, "top_k", g->sp.top_k);
    cJSON_AddNumberToObject(o, "min_p", 0);
    cJSON_AddNumberToObject(o, "seed", (double)(g->sp.seed & 0xffffffffu));
    cJSON *stop = NULL;
    for (int k = 0; k < PROMPTS_MAX_STOP; k++)
        if (g->stop[k][0]) {
            if (!stop)
                stop = cJSON_AddArrayToObject(o, "stop");
            cJSON_AddItemToArray(stop, cJSON_CreateString(g->stop[k]));
        }
    cJSON_AddBoolToObject(o, "cache_prompt", false);
    return o;
}

void prompts_server_stream_init(struct prompts_server_stream *s)
{
    memset(s, 0, sizeof(*s));
    s->cap = 256;
    s->text = xmalloc(s->cap);
    s->text[0] = '\0';
    s->rep.model = s->model;
    s->rep.finish_reason = s->finish;
    s->rep.fingerprint = s->fingerprint;
}

void prompts_server_stream_release(struct prompts_server_stream *s)
{
    free(s->text);
    s->text = NULL;
    s->len = s->cap = 0;
}

static void copy_str(const cJSON *o, const char *key, char *dst, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v))
        snprintf(dst, n, "%s", v->valuestring);
}

static double num_or(const cJSON *o, const char *key, double dflt, bool *found)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        return dflt;
    if (found)
        *found = true;
    return v->valuedouble;
}

/* an error object the server sent: {"error": {"message": ...}} or {"error": "..."} */
static int server_error(const cJSON *e, char *err)
{
    const cJSON *msg = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : e;
    char *esc = str_escape(cJSON_IsString(msg) ? msg->valuestring : "(no message)", 0);
    set_err(err, "the server: %.900s", esc);
    free(esc);
    return -1;
}

int prompts_server_stream_event(struct prompts_server_stream *s, const char *data, uint64_t now_ns,
                                char *err)
{
    while (*data == ' ' || *data == '\t' || *data == '\n')
        data++;
    if (!strcmp(data, "[DONE]")) {
        s->done = true;
        return 0;
    }
    cJSON *o = cJSON_Parse(data);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        char *esc = str_escape(data, 0);
        set_err(err, "the server sent an event that is not a JSON object: '%.80s'", esc);
        free(esc);
        return -1;
    }
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (e && !cJSON_IsNull(e)) {
        server_error(e, err);
        cJSON_Delete(o);
        return -1;
    }
    copy_str(o, "model", s->model, sizeof(s->model));
    copy_str(o, "system_fingerprint", s->fingerprint, sizeof(s->fingerprint));
    const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "choices"), 0);
    if (cJSON_IsObject(ch)) {
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(ch, "delta");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(delta, "content");
        if (cJSON_IsString(c) && c->valuestring[0]) {
            size_t n = strlen(c->valuestring);
            if (s->len + n + 1 > s->cap) {
                s->cap = 2 * (s->len + n) + 64;
                s->text = xrealloc(s->text, s->cap);
            }
            memcpy(s->text + s->len, c->valuestring, n + 1);
            s->len += n;
            if (!s->t_first)
                s->t_first = now_ns;
            s->t_last = now_ns;
            s->n_chunks++;
            if (s->token)
                s->token(s->token_ud, s->n_chunks, c->valuestring);
        }
        copy_str(ch, "finish_reason", s->finish, sizeof(s->finish));
        if (s->finish[0] && !s->t_first) /* no content at all: the end is the first token */
            s->t_first = s->t_last = now_ns;
    }
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "usage");
    if (cJSON_IsObject(u)) {
        bool found = false;
        s->prompt_tokens = (int)num_or(u, "prompt_tokens", s->prompt_tokens, &found);
        s->completion_tokens = (int)num_or(u, "completion_tokens", s->completion_tokens, &found);
        s->has_usage |= found;
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "timings");
    if (cJSON_IsObject(t)) {
        bool found = false;
        s->rep.prompt_ms = num_or(t, "prompt_ms", 0, &found);
        s->rep.predicted_per_second = num_or(t, "predicted_per_second", 0, &found);
        s->rep.prompt_n = (int)num_or(t, "prompt_n", 0, &found);
        s->rep.predicted_n = (int)num_or(t, "predicted_n", 0, &found);
        s->rep.has_timings = found;
    }
    cJSON_Delete(o);
    return 0;
}

/* ---- the run ---- */

struct ask {
    struct prompts_server_stream st;
    const struct prompts_sink *sink;
    int index;
};

static int on_event(void *ud, const char *event, const char *data, size_t len, char *err)
{
    struct ask *k = ud;
    (void)len;
    if (!strcmp(event, "error")) { /* an error event, as some servers send them */
        cJSON *o = cJSON_Parse(data);
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
        server_error(e ? e : cJSON_GetObjectItemCaseSensitive(o, "message"), err);
        cJSON_Delete(o);
        return -1;
    }
    return prompts_server_stream_event(&k->st, data, monotime_ns(), err);
}

static void on_token(void *ud, long n, const char *text)
{
    const struct ask *k = ud;
    k->sink->token(k->sink->ud, k->index, n, text);
}

/* "'URL': HTTP 404: MESSAGE" from an error's status and body: a JSON error's message, else
 * the body's text (its start) */
static void http_reason(const struct http_result *r, const char *url, char *err)
{
    cJSON *o = cJSON_Parse(r->body);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    const cJSON *msg = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : e;
    if (!cJSON_IsString(msg))
        msg = cJSON_GetObjectItemCaseSensitive(o, "message");
    char *text = xstrdup(cJSON_IsString(msg) ? msg->valuestring : r->body);
    size_t n = strlen(text);
    while (n && strchr(" \t\r\n", text[n - 1]))
        text[--n] = '\0';
    char *esc = str_escape(text, 0);
    if (esc[0])
        set_err(err, "'%s': HTTP %ld: %.600s", url, r->status, esc);
    else
        set_err(err, "'%s': HTTP %ld", url, r->status);
    free(esc);
    free(text);
    cJSON_Delete(o);
}

/* the stop reason in our words: length as length; stop is an end-of-generation token
 * when no stop string was given, else it could be either (the API does not tell): stop */
static const char *stop_of(const char *finish, const struct prompts_gen_params *g)
{
    if (!strcmp(finish, "length"))
        return "length";
    if (!strcmp(finish, "stop"))
        return g->stop[0][0] ? "stop" : "eog";
    return finish;
}

static void answer_init(struct prompts_answer *a, const struct prompts_params *p, int i,
                        const struct prompts_server_report *rep)
{
    prompts_answer_init(a, p, i);
    a->server = rep;
}

static void failed(struct prompts_answer *a, enum qb_kind kind, const char *err)
{
    a->kind = kind == QB_KIND_OK ? QB_KIND_RUNTIME : kind;
    a->status = bench_status_of(a->kind, false);
    a->error = err;
    a->stop_reason = "error";
    a->text = "";
}

/* a's figures from a stream that came to its end */
static void take_answer(struct prompts_answer *a, const struct prompts_server_stream *st,
                        uint64_t sent_ns)
{
    a->text = st->text;
    a->stop_reason = stop_of(st->finish, &a->p->gen);
    a->chat_template = "server";
    a->n_prompt_tokens = st->has_usage         ? st->prompt_tokens
                         : st->rep.has_timings ? st->rep.prompt_n
                                               : 0;
    a->n_gen_tokens = st->has_usage ? st->completion_tokens : (int)st->n_chunks;
    double ttft = st->t_first > sent_ns ? (double)(st->t_first - sent_ns) : 0;
    double gen = st->t_last > st->t_first ? (double)(st->t_last - st->t_first) : 0;
    a->ttft_ms = ttft / 1e6;
    a->gen_ms = gen / 1e6;
    a->total_ms = a->ttft_ms + a->gen_ms;
    a->gen_tps = a->n_gen_tokens > 1 && gen > 0 ? 1e9 * (a->n_gen_tokens - 1) / gen : 0;
    a->prompt_tps = ttft > 0 ? 1e9 * a->n_prompt_tokens / ttft : 0;
}

enum qb_kind prompts_server_run(const struct prompts_params *p, const struct prompts_sink *sink,
                                int *n_answered)
{
    const struct prompts_server_params *sp = p->server;
    char *url = prompts_server_endpoint(sp->url);
    char *auth =
        sp->api_key && sp->api_key[0] ? xasprintf("Authorization: Bearer %s", sp->api_key) : NULL;
    const char *headers[] = {auth, NULL};
    enum qb_kind first = QB_KIND_OK;
    char err[QB_ERR_LEN] = "";
    *n_answered = 0;
    struct prompts_server_report none = {url, "", "", "", false, 0, 0, 0, 0};
    struct http_client *c = http_client_new(err);
    bool unreachable = !c; /* the rest fail as this one did */
    enum qb_kind unreachable_kind = QB_KIND_RUNTIME;
    for (int i = 0; i < p->n_items && !(sink->stop && sink->stop(sink->ud)); i++) {
        struct prompts_answer a;
        if (unreachable) {
            answer_init(&a, p, i, &none);
            failed(&a, unreachable_kind, err);
            first = first ? first : a.kind;
            if (sink->answer)
                sink->answer(sink->ud, &a);
            continue;
        }
        if (sig_caught())
            break;
        if (sink->start)
            sink->start(sink->ud, i);
        struct ask k;
        prompts_server_stream_init(&k.st);
        k.sink = sink;
        k.index = i;
        if (sink->token) {
            k.st.token = on_token;
            k.st.token_ud = &k;
        }
        k.st.rep.url = url;
        answer_init(&a, p, i, &k.st.rep);
        cJSON *req = prompts_server_request(p, sp, a.system, a.item->prompt ? a.item->prompt : "");
        char *body = cJSON_PrintUnformatted(req);
        cJSON_Delete(req);
        struct http_post post = {url,
                                 body,
                                 auth ? headers : NULL,
                                 sp->connect_timeout_s,
                                 sp->idle_timeout_s,
                                 sp->timeout_s,
                                 on_event,
                                 &k};
        struct http_result r;
        err[0] = '\0';
        if (http_post_events(c, &post, &r, err) < 0) {
            if (r.status && (r.status < 200 || r.status >= 300))
                http_reason(&r, url, err); /* the status and the server's words */
            failed(&a, r.kind, err);
            if (r.connect_failed) {
                unreachable = true;
                unreachable_kind = a.kind;
            }
        } else if (r.n_events == 0 && !strstr(r.content_type, "text/event-stream")) {
            char *ct = str_escape(r.content_type[0] ? r.content_type : "none", 0);
            set_err(err, "'%s': the answer is not an event stream (Content-Type: %s)", url, ct);
            free(ct);
            failed(&a, QB_KIND_RUNTIME, err);
        } else if (!k.st.done && !k.st.finish[0]) {
            set_err(err,
                    "'%s': the answer ended before its end (%s; %ld events, no "
                    "finish_reason, no [DONE])",
                    url, r.cut ? "cut inside an event" : "the connection closed", r.n_events);
            failed(&a, QB_KIND_RUNTIME, err);
        } else {
            take_answer(&a, &k.st, r.sent_ns);
            ++*n_answered;
        }
        if (a.kind != QB_KIND_OK && first == QB_KIND_OK)
            first = a.kind;
        if (sink->answer)
            sink->answer(sink->ud, &a);
        free(body);
        prompts_server_stream_release(&k.st);
    }
    http_client_free(c);
    free(auth);
    free(url);
    return first;
}
