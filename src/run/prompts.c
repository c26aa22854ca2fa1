/* prompts as one run function (see prompts.h). */
#include "prompts.h"

#include "../grade/grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../record/fields.h"
#include "../record/memsum.h"
#include "../util/json.h"
#include "../util/sig.h"
#include "../util/util.h"
#include "prompts_server.h"
#include "proto.h"
#include "runner.h"

/* the prompt being answered, for the worker's token events */
struct tok_ctx {
    const struct prompts_sink *sink;
    int index;
};

static void on_token(long n, const char *text, void *ud)
{
    const struct tok_ctx *tc = ud;
    tc->sink->token(tc->sink->ud, tc->index, n, text);
}

/* the answer a prompt did not get: status, kind and why */
static void failed(struct prompts_answer *a, enum bench_status st, enum qb_kind kind,
                   const char *err)
{
    a->status = st;
    a->kind = kind == QB_KIND_OK ? QB_KIND_RUNTIME : kind;
    a->error = err;
    a->stop_reason = "error";
}

/* a's fields from the worker's result; -1 with err when one is missing */
static int take_result(struct prompts_answer *a, const cJSON *resp, char *tmpl, size_t n, char *err)
{
    struct json_reader jr = {0};
    a->ctx_ns = (uint64_t)jr_num(&jr, resp, "ctx_ns");
    a->warmup_ns = (uint64_t)jr_num(&jr, resp, "warmup_ns");
    a->n_prompt_tokens = (int)jr_num(&jr, resp, "n_prompt_tokens");
    a->n_gen_tokens = (int)jr_num(&jr, resp, "n_gen_tokens");
    double ttft = jr_num(&jr, resp, "ttft_ns"), gen = jr_num(&jr, resp, "gen_ns");
    double total = jr_num(&jr, resp, "total_ns");
    jr_str(&jr, resp, "chat_template", tmpl, n);
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(resp, "stop");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(resp, "text");
    if (jr.failed)
        return set_err(err, "%s", jr.err);
    if (!cJSON_IsString(stop) || !cJSON_IsString(text))
        return set_err(err, "protocol: field '%s' is missing or not a string",
                       cJSON_IsString(stop) ? "text" : "stop");
    a->stop_reason = stop->valuestring;
    a->text = text->valuestring;
    a->chat_template = tmpl;
    a->ttft_ms = ttft / 1e6;
    a->gen_ms = gen / 1e6;
    a->total_ms = total / 1e6;
    /* llama-server's rates: the tokens after the first over the time after it; the
     * prompt's tokens over the time to the first */
    a->gen_tps = a->n_gen_tokens > 1 && gen > 0 ? 1e9 * (a->n_gen_tokens - 1) / gen : 0;
    a->prompt_tps = ttft > 0 ? 1e9 * a->n_prompt_tokens / ttft : 0;
    a->mem = cJSON_GetObjectItemCaseSensitive(resp, "mem");
    return 0;
}

void prompts_answer_init(struct prompts_answer *a, const struct prompts_params *p, int i)
{
    memset(a, 0, sizeof(*a));
    a->p = p;
    a->item = &p->items[i];
    a->index = i;
    a->system = a->item->system ? a->item->system : p->system ? p->system : "";
    a->status = BENCH_STATUS_OK;
    a->kind = QB_KIND_OK;
    a->error = "";
    a->stop_reason = "error";
    a->text = "";
    a->chat_template = "";
}

static void answer_init(struct prompts_answer *a, const struct prompts_params *p, int i,
                        const struct runner *rn)
{
    prompts_answer_init(a, p, i);
    a->rn = rn;
}

static bool should_stop(const struct prompts_sink *s)
{
    return (s->stop && s->stop(s->ud)) || sig_caught();
}

static void emit(const struct prompts_sink *s, const struct prompts_answer *a)
{
    if (s->answer)
        s->answer(s->ud, a);
}

enum qb_kind prompts_run(const struct prompts_params *p, const struct prompts_sink *sink,
                         int *n_answered)
{
    if (p->server)
        return prompts_server_run(p, sink, n_answered);
    struct runner rn;
    runner_init(&rn, p->ld.model, &p->ld.mp, &p->ld.wl, p->ld.verbose, p->ld.timeout_s);
    struct tok_ctx tc = {sink, 0};
    if (sink->token) {
        rn.on_token = on_token;
        rn.token_ud = &tc;
    }
    enum qb_kind first = QB_KIND_OK;
    *n_answered = 0;
    for (int i = 0; i < p->n_items && !should_stop(sink); i++) {
        char err[QB_ERR_LEN] = "", tmpl[32] = "";
        struct prompts_answer a;
        enum bench_status st;
        answer_init(&a, p, i, &rn);
        tc.index = i;
        if (sink->start)
            sink->start(sink->ud, i);
        const char *prompt = a.item->prompt ? a.item->prompt : "";
        /* the request must fit one line of the protocol */
        if (strlen(prompt) + strlen(a.system) > WORKER_MAX_LINE / 2) {
            set_err(err, "the prompt of %zu bytes is too long (at most %u with its system prompt)",
                    strlen(prompt), WORKER_MAX_LINE / 2);
            failed(&a, BENCH_STATUS_ERROR, QB_KIND_INPUT, err);
            emit(sink, &a);
            first = first ? first : a.kind;
            continue;
        }
        if (runner_ensure(&rn, &st, err) < 0) {
            /* a model that does not load fails every prompt the same way */
            failed(&a, st, rn.kind, err);
            first = first ? first : a.kind;
            emit(sink, &a);
            for (int k = i + 1; k < p->n_items && st != BENCH_STATUS_INTERRUPTED &&
                                !(sink->stop && sink->stop(sink->ud));
                 k++) {
                answer_init(&a, p, k, &rn);
                failed(&a, st, rn.kind, err);
                emit(sink, &a);
            }
            break;
        }
        struct work_test t;
        memset(&t, 0, sizeof(t));
        t.id = i;
        t.kind = WORK_PROMPTS;
        t.cp = p->cp;
        t.pt.reps = 1;
        t.pt.no_warmup = p->no_warmup;
        t.gen = p->gen;
        t.system = a.system;
        t.prompt = prompt;
        cJSON *req = proto_run_req(&t), *resp = NULL;
        if (runner_call(&rn, req, &resp, &st, err) < 0) {
            failed(&a, st, rn.kind, err); /* a dead worker: the next prompt starts another */
        } else if (take_result(&a, resp, tmpl, sizeof(tmpl), err) < 0) {
            failed(&a, BENCH_STATUS_ERROR, QB_KIND_RUNTIME, err);
        } else {
            ++*n_answered;
        }
        if (a.kind != QB_KIND_OK && first == QB_KIND_OK)
            first = a.kind;
        emit(sink, &a);
        cJSON_Delete(req);
        cJSON_Delete(resp);
    }
    runner_release(&rn);
    return first;
}

/* a server's answer: its seed, the model it named (no file of ours: no model_id, no
 * build), what it reported */
static void server_fields(const struct prompts_answer *a, cJSON *row)
{
    const struct prompts_server_report *s = a->server;
    const struct prompts_server_params *sp = a->p->server;
    cJSON_AddNumberToObject(row, "seed", (double)a->p->gen.sp.seed);
    struct runner_info none;
    memset(&none, 0, sizeof(none));
    const char *model = s->model && s->model[0] ? s->model
                        : sp->model_name        ? sp->model_name
                                                : sp->url;
    row_meta(row, model, &none);
    cJSON_ReplaceItemInObjectCaseSensitive(row, "model_id", cJSON_CreateString(""));
    cJSON_AddStringToObject(row, "server_url", s->url ? s->url : "");
    cJSON_AddStringToObject(row, "server_finish_reason", s->finish_reason ? s->finish_reason : "");
    cJSON_AddStringToObject(row, "server_fingerprint", s->fingerprint ? s->fingerprint : "");
    if (s->has_timings) {
        cJSON_AddNumberToObject(row, "server_prompt_ms", s->prompt_ms);
        cJSON_AddNumberToObject(row, "server_predicted_per_second", s->predicted_per_second);
        cJSON_AddNumberToObject(row, "server_prompt_n", s->prompt_n);
        cJSON_AddNumberToObject(row, "server_predicted_n", s->predicted_n);
    }
}

cJSON *prompts_row_json(const struct prompts_answer *a)
{
    const struct prompts_params *p = a->p;
    cJSON *row = cJSON_CreateObject();
    cJSON_AddStringToObject(row, "set", p->set ? p->set : "");
    cJSON_AddStringToObject(row, "id", a->item->id ? a->item->id : "");
    cJSON_AddStringToObject(row, "category", a->item->category ? a->item->category : "");
    cJSON_AddStringToObject(row, "prompt", a->item->prompt ? a->item->prompt : "");
    cJSON_AddStringToObject(row, "system", a->system);
    cJSON_AddNumberToObject(row, "n_prompt_tokens", a->n_prompt_tokens);
    cJSON_AddNumberToObject(row, "ttft_ms", a->ttft_ms);
    cJSON_AddNumberToObject(row, "prompt_tps", a->prompt_tps);
    cJSON_AddNumberToObject(row, "gen_tps", a->gen_tps);
    cJSON_AddNumberToObject(row, "gen_ms", a->gen_ms);
    cJSON_AddNumberToObject(row, "total_ms", a->total_ms);
    cJSON_AddNumberToObject(row, "n_gen_tokens", a->n_gen_tokens);
    cJSON_AddStringToObject(row, "stop_reason", a->stop_reason);
    cJSON_AddStringToObject(row, "text", a->text);
    cJSON_AddStringToObject(row, "chat_template", a->chat_template);
    cJSON_AddNumberToObject(row, "ctx_ns", (double)a->ctx_ns);
    cJSON_AddNumberToObject(row, "warmup_ns", (double)a->warmup_ns);
    cJSON_AddStringToObject(row, "status", bench_status_name(a->status));
    cJSON_AddStringToObject(row, "error", a->error);
    if (a->item->grader) { /* the grade, with the grader's version: --regrade can tell */
        struct grade_result g;
        char err[QB_ERR_LEN];
        if (a->status != BENCH_STATUS_OK) {
            memset(&g, 0, sizeof(g));
            g.verdict = GRADE_FAIL;
            snprintf(g.detail, sizeof(g.detail), "no answer (%s)", bench_status_name(a->status));
            const cJSON *gn = cJSON_GetObjectItemCaseSensitive(a->item->grader, "grader");
            snprintf(g.grader, sizeof(g.grader), "%s", cJSON_IsString(gn) ? gn->valuestring : "");
        } else if (grade_answer(a->item->grader, a->text, &g, err) < 0) {
            memset(&g, 0, sizeof(g));
            g.verdict = GRADE_ERROR;
            snprintf(g.detail, sizeof(g.detail), "%.400s", err);
        }
        cJSON_AddStringToObject(row, "grade", grade_verdict_name(g.verdict));
        cJSON_AddNumberToObject(row, "grade_score", g.score);
        cJSON_AddStringToObject(row, "grader", g.grader);
        cJSON_AddNumberToObject(row, "grader_version", g.version);
        cJSON_AddStringToObject(row, "grade_detail", g.detail);
    }
    /* the sampling settings, as the protocol's table names them (the texts and the seed
     * are elsewhere in the row) */
    struct work_test t;
    memset(&t, 0, sizeof(t));
    t.gen = p->gen;
    const void *parts[FIELD_N_PARTS] = {NULL, NULL, &t};
    for (size_t i = 0; i < fields_prompts.n; i++) {
        const struct field *f = &fields_prompts.t[i];
        if (strcmp(f->key, "system") && strcmp(f->key, "prompt") && strcmp(f->key, "seed"))
            field_write(f, 1, FIELD_USE_WIRE, parts, FIELD_FORM_ROW, row);
    }
    if (a->server) {
        server_fields(a, row);
        return row;
    }
    row_settings_json(&p->ld.mp, &p->cp, 1, p->gen.sp.seed, row);
    runner_row_meta(a->rn, row);
    struct mem_summary ms;
    mem_summary_from(a->mem, &ms);
    mem_summary_add(row, &ms, a->mem);
    return row;
}
