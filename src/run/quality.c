/* quality as one run function (see quality.h). */
#include "quality.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gguf/gguf.h"
#include "../measure/ppl.h"
#include "../record/fields.h"
#include "../record/memsum.h"
#include "../util/json.h"
#include "../util/sha256.h"
#include "../util/util.h"
#include "proto.h"

/* the KL-divergence statistics' fields, in the order the JSON has them */
static const struct {
    const char *key;
    size_t off;
} kld_fields[] = {
#define F(name)                                                                                    \
    {                                                                                              \
#name, offsetof(struct kld_stats, name)                                                    \
    }
    F(ppl),      F(ppl_err),      F(ppl_base), F(ppl_base_err), F(cor),
    F(ln_ratio), F(ln_ratio_err), F(ratio),    F(ratio_err),    F(diff),
    F(diff_err), F(kld),          F(kld_err),  F(dp),           F(dp_err),
    F(rms_dp),   F(rms_dp_err),   F(same_top), F(same_top_err),
#undef F
};

cJSON *quality_kld_json(const struct kld_stats *s)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < QB_ARRAY_LEN(kld_fields); i++)
        cJSON_AddNumberToObject(
            o, kld_fields[i].key,
            *(const double *)(const void *)((const char *)s + kld_fields[i].off));
    cJSON_AddNumberToObject(o, "count", (double)s->count);
    cJSON_AddItemToObject(o, "kld_percentiles",
                          cJSON_CreateDoubleArray(s->kld_pct, (int)QB_ARRAY_LEN(s->kld_pct)));
    cJSON_AddItemToObject(o, "dp_percentiles",
                          cJSON_CreateDoubleArray(s->dp_pct, (int)QB_ARRAY_LEN(s->dp_pct)));
    return o;
}

/* n numbers of the array key of o into out; a missing array, a shorter one or a
 * non-number marks jr failed */
static void doubles_from(struct json_reader *jr, const cJSON *o, const char *key, double *out,
                         int n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    for (int i = -1; i < n; i++) {
        const cJSON *v = i < 0 ? NULL : cJSON_GetArrayItem(a, i);
        if (i < 0 ? !cJSON_IsArray(a) : !cJSON_IsNumber(v)) {
            if (!jr->failed)
                snprintf(jr->err, sizeof(jr->err),
                         "protocol: field '%s' is missing or not %d numbers", key, n);
            jr->failed = true;
            return;
        }
        if (i >= 0)
            out[i] = v->valuedouble;
    }
}

int quality_kld_from_json(const cJSON *o, struct kld_stats *s, char *err)
{
    struct json_reader jr = {0};
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < QB_ARRAY_LEN(kld_fields); i++)
        *(double *)(void *)((char *)s + kld_fields[i].off) = jr_num(&jr, o, kld_fields[i].key);
    s->count = (size_t)jr_num(&jr, o, "count");
    doubles_from(&jr, o, "kld_percentiles", s->kld_pct, (int)QB_ARRAY_LEN(s->kld_pct));
    doubles_from(&jr, o, "dp_percentiles", s->dp_pct, (int)QB_ARRAY_LEN(s->dp_pct));
    return jr.failed ? set_err(err, "%s", jr.err) : 0;
}

/* The shape of a model, which its quantizations keep: "llama, 2 layers, 256 wide, 4 heads
 * (2 kv), 32000 tokens"; NULL with err. */
static char *model_shape(const char *model, char *err)
{
    struct gf_file *g;
    if (gf_read_file(model, &g, err) < 0)
        return NULL;
    const char *arch = gf_get_str(g, "general.architecture");
    char k[160];
#define ARCH_INT(key) (snprintf(k, sizeof(k), "%s." key, arch ? arch : ""), gf_get_int(g, k, 0))
    char *s = xasprintf(
        "%s, %lld layers, %lld wide, %lld heads (%lld kv), %llu tokens", arch ? arch : "?",
        (long long)ARCH_INT("block_count"), (long long)ARCH_INT("embedding_length"),
        (long long)ARCH_INT("attention.head_count"), (long long)ARCH_INT("attention.head_count_kv"),
        (unsigned long long)gf_get_arr_n(g, "tokenizer.ggml.tokens"));
#undef ARCH_INT
    gf_free(g);
    return s;
}

/* SAVE_BASE also writes FILE.model: the shape of the model and its file, two lines */
static int save_base_model(const char *base, const char *model, char *err)
{
    char *shape = model_shape(model, err);
    if (!shape)
        return -1;
    char *side = xasprintf("%s.model", base), *text = xasprintf("%s\n%s\n", shape, model);
    int rc = write_file_atomic(side, text, err);
    free(text);
    free(shape);
    free(side);
    return rc;
}

/* KLD: when FILE.model says which model the file came from, this one must have its
 * shape (a quantization keeps it; another model of the same tokenizer does not) */
static int check_base_model(const char *base, const char *model, char *err)
{
    char *side = xasprintf("%s.model", base);
    size_t len;
    char *text = read_file(side, 1 << 16, &len, err);
    free(side);
    if (!text)
        return 0; /* llama-perplexity's files come without one */
    char *nl = strchr(text, '\n'), *file = nl ? nl + 1 : (char *)"";
    if (nl)
        *nl = '\0';
    file[strcspn(file, "\n")] = '\0';
    char *shape = model_shape(model, err);
    int rc = 0;
    if (shape && strcmp(shape, text) != 0)
        rc = set_err(
            err, "'%s' holds the log-probabilities of '%s' (%s); '%s' is %s: not the same model",
            base, file, text, model, shape);
    free(shape);
    free(text);
    return rc;
}

enum qb_kind quality_check_base(const char *base, const char *model, int *n_ctx, char *err)
{
    struct kld_file kf;
    if (kld_file_open(base, &kf, err) < 0)
        return QB_KIND_INPUT;
    enum qb_kind kind = QB_KIND_OK;
    struct gf_file *g = NULL;
    if (gf_read_file(model, &g, err) == 0) {
        uint64_t nv = gf_get_arr_n(g, "tokenizer.ggml.tokens");
        gf_free(g);
        if (nv && nv != (uint64_t)kf.n_vocab) {
            set_err(err,
                    "'%s' holds log-probabilities over %d tokens, the vocabulary of '%s' has %llu",
                    base, kf.n_vocab, model, (unsigned long long)nv);
            kind = QB_KIND_INPUT;
        }
    }
    if (!kind && check_base_model(base, model, err) < 0)
        kind = QB_KIND_INPUT;
    if (n_ctx)
        *n_ctx = (int)kf.n_ctx;
    kld_file_close(&kf);
    return kind;
}

/* the worker's answer as the row says it; -1 with err naming a missing field */
static int row_from(struct quality_row *r, const cJSON *resp, struct kld_stats *kld, char *err)
{
    struct json_reader jr = {0};
    r->n_tokens = (int)jr_num(&jr, resp, "n_tokens");
    r->n_ctx = (int)jr_num(&jr, resp, "n_ctx");
    r->n_chunks = (int)jr_num(&jr, resp, "n_chunks");
    r->count = (long long)jr_num(&jr, resp, "count");
    r->nll = jr_num(&jr, resp, "nll");
    r->nll2 = jr_num(&jr, resp, "nll2");
    r->ppl = jr_num(&jr, resp, "ppl");
    r->ppl_err = jr_num(&jr, resp, "ppl_err");
    r->ppl_ns = (uint64_t)jr_num(&jr, resp, "ppl_ns");
    if (jr.failed)
        return set_err(err, "%s", jr.err);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(resp, "kld");
    r->has_kld = k != NULL;
    if (k && quality_kld_from_json(k, kld, err) < 0)
        return -1;
    r->mem = cJSON_GetObjectItemCaseSensitive(resp, "mem");
    return 0;
}

enum qb_kind quality_run(const struct quality_params *p, const struct quality_sink *sink, char *err)
{
    struct work_test t;
    memset(&t, 0, sizeof(t));
    t.kind = WORK_PPL;
    t.ppl_mode = p->mode;
    t.topk = p->mode == WORK_PPL_SAVE_BASE ? p->topk : 0;
    t.imx_output = p->mode == WORK_PPL_IMATRIX && p->imx_output;
    t.pl.n_ctx = (int)p->cp.n_ctx;
    if (p->mode == WORK_PPL_KLD) { /* the chunk size is the base file's */
        struct kld_file kf;
        if (kld_file_open(p->base, &kf, err) < 0)
            return QB_KIND_INPUT;
        t.pl.n_ctx = (int)kf.n_ctx;
        kld_file_close(&kf);
    }
    t.pl.n_batch = (int)p->cp.n_batch;
    t.pl.n_chunks = p->n_chunks;
    const char *text = p->mode == WORK_PPL_KLD ? p->base : p->text;
    snprintf(t.text_path, sizeof(t.text_path), "%s", text);
    if (p->mode != WORK_PPL_PLAIN)
        snprintf(t.base_path, sizeof(t.base_path), "%s", p->base);
    t.cp = p->cp;
    ppl_ctx_params(&t.pl, &t.cp);
    t.pt.reps = 1;
    t.pt.seed = p->seed;

    struct runner rn;
    struct work_load wl = {0, 0};
    runner_init(&rn, p->model, &p->mp, &wl, p->verbose, p->timeout_s);
    rn.on_units = sink->units;
    rn.units_ud = sink->units_ud;
    enum bench_status st;
    cJSON *resp = NULL, *req = proto_run_req(&t);
    bool ok = runner_ensure(&rn, &st, err) == 0 && runner_call(&rn, req, &resp, &st, err) == 0;
    cJSON_Delete(req);
    enum qb_kind kind = rn.kind;
    if (!ok && p->mode != WORK_PPL_KLD)
        runner_remove_tmp(&rn, p->base); /* what a dead worker was writing */
    if (ok) {
        struct quality_row r;
        memset(&r, 0, sizeof(r));
        r.p = p;
        r.text = text;
        const cJSON *cp = cJSON_GetObjectItemCaseSensitive(resp, "chunk_ppl");
        int n = cJSON_GetArraySize(cp);
        double *chunk = xcalloc(n > 0 ? (size_t)n : 1, sizeof(double));
        struct json_reader jr = {0};
        doubles_from(&jr, resp, "chunk_ppl", chunk, n);
        bool bad = row_from(&r, resp, &r.kld, err) < 0;
        if (!bad && jr.failed) {
            set_err(err, "%s", jr.err);
            bad = true;
        }
        if (bad) {
            free(chunk);
            cJSON_Delete(resp);
            runner_release(&rn);
            return QB_KIND_RUNTIME; /* a malformed answer */
        }
        r.chunk_ppl = chunk;
        r.n_chunks = n < r.n_chunks ? n : r.n_chunks;
        r.cp = t.cp;
        r.rn = &rn;
        if (sink->row)
            sink->row(&r, sink->ud);
        free(chunk);
        if (p->mode == WORK_PPL_SAVE_BASE && save_base_model(p->base, p->model, err) < 0)
            kind = QB_KIND_RUNTIME;
    }
    cJSON_Delete(resp);
    runner_release(&rn);
    return kind;
}

void quality_row_json(const struct quality_row *r, const cJSON *settings, cJSON *row)
{
    const struct quality_params *p = r->p;
    char tid[160], err[QB_ERR_LEN];
    cJSON_AddStringToObject(row, "text", r->text);
    cJSON_AddStringToObject(row, "corpus", p->corpus ? p->corpus : "");
    cJSON_AddStringToObject(row, "text_id", file_quick_id(r->text, tid, err) == 0 ? tid : "");
    cJSON_AddNumberToObject(row, "n_seq", r->cp.n_seq_max);
    /* ppl_err: llama-perplexity's standard error of the PPL, exp(mean) * sd(NLL) /
     * sqrt(count - 1); there is no ppl_sd: one pass has no repetitions to spread */
    cJSON_AddNumberToObject(row, "n_tokens", r->n_tokens);
    cJSON_AddNumberToObject(row, "n_chunks", r->n_chunks);
    cJSON_AddNumberToObject(row, "count", (double)r->count);
    cJSON_AddNumberToObject(row, "nll", r->nll);
    cJSON_AddNumberToObject(row, "nll2", r->nll2);
    cJSON_AddNumberToObject(row, "ppl", r->ppl);
    cJSON_AddNumberToObject(row, "ppl_err", r->ppl_err);
    cJSON_AddNumberToObject(row, "ppl_time_s", (double)r->ppl_ns / 1e9);
    cJSON *chunks = cJSON_AddArrayToObject(row, "chunk_ppl");
    for (int i = 0; i < r->n_chunks; i++)
        cJSON_AddItemToArray(chunks, cJSON_CreateNumber(r->chunk_ppl[i]));
    cJSON_AddStringToObject(row, "base", p->mode == WORK_PPL_KLD ? p->base : "");
    cJSON_AddStringToObject(row, "saved_base", p->mode == WORK_PPL_SAVE_BASE ? p->base : "");
    if (r->has_kld)
        cJSON_AddItemToObject(row, "kld", quality_kld_json(&r->kld));
    cJSON_AddStringToObject(row, "status", "ok");
    const cJSON *it;
    cJSON_ArrayForEach (it, settings)
        cJSON_AddItemToObject(row, it->string, cJSON_Duplicate(it, 1));
    runner_row_meta(r->rn, row);
}

cJSON *quality_row_new(const struct quality_row *r, int reps)
{
    /* the settings as run: the chunk size (a --base file's own), the batches as
     * llama-perplexity's context caps them */
    struct engine_ctx_params cp = r->p->cp;
    cp.n_ctx = (uint32_t)r->n_ctx;
    cp.n_batch = r->cp.n_batch;
    cp.n_ubatch = r->cp.n_ubatch;
    cJSON *row = cJSON_CreateObject(), *settings = cJSON_CreateObject();
    row_settings_json(&r->p->mp, &cp, reps, r->p->seed, settings);
    quality_row_json(r, settings, row);
    cJSON_Delete(settings);
    struct mem_summary ms;
    mem_summary_from(r->mem, &ms);
    mem_summary_add(row, &ms, r->mem);
    return row;
}
