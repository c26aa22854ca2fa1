/* A fake engine for unit tests: implements engine.h with no model. Decodes cost
 * a fixed simulated time, calls are counted, and failures can be injected, so
 * measurement code can be checked exactly. */
#include "fake_engine.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/util/util.h"

struct fake_engine_stats fake_stats;
struct fake_engine_cfg fake_cfg = {
    .n_vocab = 1000, .add_bos = true, .bos = 1, .fail_decode_after = -1, .eos = 999};

struct engine {
    int has_ctx;
    int pos;
    char *hist; /* the bytes of sequence 0's tokens since position 0 (the prompt) */
    size_t n_hist, cap_hist;
};

/* sequence 0's tokens, as bytes (ids above 255 are special: none) */
static void hist_add(struct engine *e, const int32_t *tokens, int n)
{
    if (e->pos == 0)
        e->n_hist = 0;
    for (int i = 0; i < n; i++) {
        if (tokens[i] < 0 || tokens[i] > 255)
            continue;
        if (e->n_hist + 2 > e->cap_hist) {
            e->cap_hist = 2 * e->cap_hist + 256;
            e->hist = xrealloc(e->hist, e->cap_hist);
        }
        e->hist[e->n_hist++] = (char)tokens[i];
        e->hist[e->n_hist] = '\0';
    }
}

static void spin_ns(long ns)
{
    struct timespec ts = {0, ns};
    if (ns > 0)
        nanosleep(&ts, NULL);
}

struct engine *fake_engine_open(void)
{
    char err[QB_ERR_LEN];
    struct engine_model_params mp = engine_model_params_default();
    struct engine_ctx_params cp = engine_ctx_params_default();
    fake_cfg.fail_decode_after = -1;
    fake_cfg.ns_per_token = 1000;
    struct engine *e = engine_open("x", &mp, err);
    engine_ctx_create(e, &cp, err);
    fake_engine_reset();
    return e;
}

void fake_engine_reset(void)
{
    memset(&fake_stats, 0, sizeof(fake_stats));
}

struct engine_model_params engine_model_params_default(void)
{
    struct engine_model_params p;
    memset(&p, 0, sizeof(p));
    p.n_gpu_layers = -1;
    p.split_mode = ENGINE_SPLIT_LAYER;
    p.use_mmap = -1;
    return p;
}

struct engine_ctx_params engine_ctx_params_default(void)
{
    struct engine_ctx_params p;
    memset(&p, 0, sizeof(p));
    p.n_ctx = 4096;
    p.n_batch = 2048;
    p.n_ubatch = 512;
    p.n_seq_max = 1;
    p.flash_attn = -1;
    snprintf(p.type_k, sizeof(p.type_k), "f16");
    snprintf(p.type_v, sizeof(p.type_v), "f16");
    snprintf(p.cpu_mask, sizeof(p.cpu_mask), "0x0");
    p.n_threads = p.n_threads_batch = 4;
    p.poll = 50;
    return p;
}

void engine_global_init(int verbosity)
{
    (void)verbosity;
}

void engine_build_info(struct engine_build_info *bi)
{
    memset(bi, 0, sizeof(*bi));
    snprintf(bi->version, sizeof(bi->version), "fake");
    snprintf(bi->commit, sizeof(bi->commit), "0000000");
    snprintf(bi->backends, sizeof(bi->backends), "CPU");
}

/* the kind of the last failure (the ones the fake makes: open and decode) */
static enum qb_kind fake_kind = QB_KIND_RUNTIME;

enum qb_kind engine_last_error_kind(void)
{
    return fake_kind;
}

void engine_clear_error_kind(void)
{
    fake_kind = QB_KIND_RUNTIME;
}

/* a decode that fails as fake_cfg asks */
static int decode_fail(char *err)
{
    fake_kind = fake_cfg.fail_oom ? QB_KIND_OOM : QB_KIND_RUNTIME;
    return set_err(err, "fake: decode failed");
}

struct engine *engine_open(const char *path, const struct engine_model_params *mp, char *err)
{
    (void)mp;
    if (fake_cfg.fail_open) {
        fake_kind = QB_KIND_RUNTIME;
        set_err(err, "fake: cannot open '%s'", path);
        return NULL;
    }
    return xcalloc(1, sizeof(struct engine));
}

void engine_close(struct engine *e)
{
    if (e)
        free(e->hist);
    free(e);
}

void engine_model_info(const struct engine *e, struct engine_model_info *mi)
{
    (void)e;
    memset(mi, 0, sizeof(*mi));
    snprintf(mi->desc, sizeof(mi->desc), "fake 1M F16");
    mi->n_vocab = fake_cfg.n_vocab;
    mi->add_bos = fake_cfg.add_bos;
    mi->bos = fake_cfg.bos;
    mi->eos = fake_cfg.eos;
    mi->n_layer = 2;
}

int engine_ctx_create(struct engine *e, const struct engine_ctx_params *cp, char *err)
{
    (void)cp;
    (void)err;
    e->has_ctx = 1;
    e->pos = 0;
    fake_stats.ctx_creates++;
    return 0;
}

void engine_ctx_free(struct engine *e)
{
    e->has_ctx = 0;
}

void engine_set_threads(struct engine *e, int n_threads, int n_threads_batch)
{
    (void)e;
    (void)n_threads_batch;
    fake_stats.last_threads = n_threads;
}

int engine_decode(struct engine *e, const int32_t *tokens, int n, char *err)
{
    if (fake_cfg.fail_decode_after >= 0 && fake_stats.decodes >= fake_cfg.fail_decode_after)
        return decode_fail(err);
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= fake_cfg.n_vocab)
            fake_stats.bad_tokens++;
    if (e->pos == 0 && n > 0)
        fake_stats.first_tokens[fake_stats.n_first++ % 64] = tokens[0];
    hist_add(e, tokens, n);
    e->pos += n;
    fake_stats.decodes++;
    fake_stats.tokens += n;
    if (n > fake_stats.max_batch)
        fake_stats.max_batch = n;
    spin_ns(fake_cfg.ns_per_token * n);
    return 0;
}

void engine_synchronize(struct engine *e)
{
    (void)e;
    fake_stats.syncs++;
}

void engine_memory_clear(struct engine *e)
{
    e->pos = 0;
    memset(fake_stats.seq_len, 0, sizeof(fake_stats.seq_len));
    fake_stats.clears++;
}

int engine_seq_save(struct engine *e, int seq, void **buf, size_t *n, char *err)
{
    (void)seq;
    (void)err;
    int *p = xmalloc(sizeof(int));
    *p = e->pos;
    *buf = p;
    *n = sizeof(int);
    fake_stats.saves++;
    return 0;
}

int engine_seq_occupy(struct engine *e, int seq, int n, char *err)
{
    (void)seq;
    (void)err;
    e->pos = n;
    return 0;
}

int engine_seq_restore(struct engine *e, int seq, const void *buf, size_t n, char *err)
{
    (void)seq;
    if (fake_cfg.fail_restore)
        return set_err(err, "fake: restore refused");
    if (n != sizeof(int))
        return set_err(err, "fake: bad state");
    memcpy(&e->pos, buf, sizeof(int));
    fake_stats.restores++;
    return 0;
}

int engine_quantize(const char *in, const char *out, int ftype, int n_threads,
                    const struct imatrix *im, const char *im_path, char *err)
{
    (void)im;
    (void)im_path;
    (void)out;
    (void)ftype;
    (void)n_threads;
    return set_err(err, "fake: cannot quantize '%s'", in);
}

int engine_check_types(char *err)
{
    (void)err;
    return 0;
}

void engine_numa_init(int strategy)
{
    (void)strategy;
}

int engine_set_process_priority(int prio, char *err)
{
    if (prio < -1 || prio > 3)
        return set_err(err, "invalid priority %d", prio);
    return 0;
}

int engine_decode_tokens(struct engine *e, const struct engine_tok *t, int n, char *err)
{
    if (fake_cfg.fail_decode_after >= 0 && fake_stats.decodes >= fake_cfg.fail_decode_after)
        return decode_fail(err);
    for (int i = 0; i < n; i++) {
        if (t[i].token < 0 || t[i].token >= fake_cfg.n_vocab)
            fake_stats.bad_tokens++;
        if (t[i].seq < 0 || t[i].seq >= FAKE_MAX_SEQ) {
            fake_stats.bad_tokens++;
            continue;
        }
        if (t[i].pos == 0)
            fake_stats.first_tokens[fake_stats.n_first++ % 64] = t[i].token;
        /* positions must continue each sequence */
        if (t[i].pos != fake_stats.seq_len[t[i].seq])
            fake_stats.bad_positions++;
        fake_stats.seq_len[t[i].seq] = t[i].pos + 1;
    }
    (void)e;
    fake_stats.decodes++;
    fake_stats.tokens += n;
    if (n > fake_stats.max_batch)
        fake_stats.max_batch = n;
    spin_ns(fake_cfg.ns_per_token * n);
    return 0;
}

int engine_seq_rm(struct engine *e, int seq, int p0, int p1, char *err)
{
    (void)e;
    if (seq < 0 || seq >= FAKE_MAX_SEQ || p1 >= 0)
        return set_err(err, "fake: unsupported seq_rm");
    if (fake_stats.seq_len[seq] > p0)
        fake_stats.seq_len[seq] = p0;
    fake_stats.seq_rms++;
    return 0;
}

void engine_seq_cp(struct engine *e, int src, int dst)
{
    (void)e;
    fake_stats.seq_len[dst] = fake_stats.seq_len[src];
    fake_stats.seq_cps++;
}

/* memory: one CPU buffer whose KV grows with the context's cells */
int engine_memory(const struct engine *e, struct engine_mem *m, char *err)
{
    (void)err;
    memset(m, 0, sizeof(*m));
    m->n = 1;
    m->exact = true;
    snprintf(m->b[0].buft, sizeof(m->b[0].buft), "CPU");
    snprintf(m->b[0].dev, sizeof(m->b[0].dev), "CPU");
    m->b[0].host = true;
    m->b[0].model = 1 << 20;
    m->b[0].context = e && e->has_ctx ? 4096 : 0;
    return 0;
}

int engine_devices_memory(struct engine_dev_mem *d, int max)
{
    if (max < 1)
        return 0;
    memset(d, 0, sizeof(*d));
    snprintf(d->name, sizeof(d->name), "CPU");
    d->free = d->total = 1ull << 34;
    return 1;
}

void engine_host_caps(int *n_gpus, bool *repack, bool *repack_avx512)
{
    *n_gpus = 0;
    *repack = *repack_avx512 = false;
}

/* logits: the same row for every token, l[j] = 0.1 * (j % 7), so a test can compute the
 * expected perplexity of any token sequence */
const float *engine_logits(struct engine *e, int i, char *err)
{
    static float *row;
    static int n;
    (void)e;
    if (i < 0)
        return set_err(err, "fake: no logits for %d", i), NULL;
    if (n != fake_cfg.n_vocab) {
        free(row);
        n = fake_cfg.n_vocab;
        row = xcalloc((size_t)n * FAKE_MAX_ROWS, sizeof(float));
        for (int r = 0; r < FAKE_MAX_ROWS; r++)
            for (int j = 0; j < n; j++)
                row[(size_t)r * n + j] = 0.1f * (float)(j % 7);
    }
    fake_stats.logits_reads++;
    return row;
}

/* one token per byte (the byte value modulo the vocabulary), BOS first */
int engine_tokenize(const struct engine *e, const char *text, size_t len, bool add_special,
                    int32_t **out, int *n, char *err)
{
    (void)e;
    (void)err;
    int32_t *t = xcalloc(len + 1, sizeof(*t));
    int k = 0;
    if (add_special && fake_cfg.add_bos)
        t[k++] = fake_cfg.bos;
    for (size_t i = 0; i < len; i++)
        t[k++] = (int32_t)((unsigned char)text[i] % (unsigned)fake_cfg.n_vocab);
    *out = t;
    *n = k;
    return 0;
}

/* the inverse of engine_tokenize while ids are bytes (n_vocab >= 256) */
int engine_detokenize(const struct engine *e, const int32_t *tokens, int n, char **out, size_t *len,
                      char *err)
{
    (void)e;
    char *s = xmalloc((size_t)n + 1);
    for (int i = 0; i < n; i++) {
        if (tokens[i] < 0 || tokens[i] >= fake_cfg.n_vocab) {
            free(s);
            return set_err(err, "token %d is %d, outside the vocabulary of %d", i, tokens[i],
                           fake_cfg.n_vocab);
        }
        s[i] = (char)tokens[i];
    }
    s[n] = '\0';
    *out = s;
    *len = (size_t)n;
    return 0;
}

void engine_imatrix_begin(struct engine *e, struct imatrix *im, bool output)
{
    (void)e;
    (void)im;
    (void)output;
}

int engine_imatrix_end(struct engine *e, char *err)
{
    (void)e;
    (void)err;
    return 0;
}

/* ---- generation: a chatml prompt of bytes, and a sampler that spells a canned answer ---- */

const char *engine_chat_tmpl_name(enum engine_chat_tmpl t)
{
    static const char *const names[] = {"model", "chatml-none", "chatml-unsupported"};
    return t >= 0 && t <= ENGINE_CHAT_CHATML_UNSUPPORTED ? names[t] : "?";
}

/* llama.cpp's chatml, as the fake's model has no template */
int engine_chat_apply(const struct engine *e, const struct engine_chat_msg *msgs, int n, char **out,
                      enum engine_chat_tmpl *used, char *err)
{
    (void)e;
    (void)err;
    char *s = xstrdup("");
    for (int i = 0; i < n; i++) {
        char *t = xasprintf("%s<|im_start|>%s\n%s<|im_end|>\n", s, msgs[i].role, msgs[i].content);
        free(s);
        s = t;
    }
    char *t = xasprintf("%s<|im_start|>assistant\n", s);
    free(s);
    *out = t;
    *used = ENGINE_CHAT_CHATML_NONE;
    return 0;
}

int engine_tokenize_chat(const struct engine *e, const char *text, size_t len, int32_t **out,
                         int *n, char *err)
{
    return engine_tokenize(e, text, len, true, out, n, err);
}

bool engine_token_is_eog(const struct engine *e, int32_t tok)
{
    (void)e;
    return tok == fake_cfg.eos;
}

/* a byte a token; the ids above 255 are special tokens: no text */
const char *engine_token_piece(struct engine *e, int32_t tok, size_t *len, char *err)
{
    static char byte;
    (void)e;
    if (tok < 0 || tok >= fake_cfg.n_vocab) {
        set_err(err, "token %d is outside the vocabulary of %d", tok, fake_cfg.n_vocab);
        return NULL;
    }
    byte = (char)tok;
    *len = tok <= 255 ? 1 : 0;
    return &byte;
}

struct engine_sampler_params engine_sampler_params_default(void)
{
    struct engine_sampler_params p = {0, 40, 0.95, 1};
    return p;
}

struct engine_sampler {
    char *answer; /* chosen at the first sample */
    size_t k;     /* bytes of it sampled */
};

struct engine_sampler *engine_sampler_new(const struct engine *e,
                                          const struct engine_sampler_params *sp, char *err)
{
    (void)e;
    (void)sp;
    (void)err;
    return xcalloc(1, sizeof(struct engine_sampler));
}

void engine_sampler_free(struct engine_sampler *s)
{
    if (s)
        free(s->answer);
    free(s);
}

/* the answer for the prompt decoded (see fake_cfg.answer) */
static char *answer_for(const char *prompt)
{
    if (fake_cfg.answer)
        return xstrdup(fake_cfg.answer);
    const char *path = getenv("QB_FAKE_ANSWERS");
    char err[QB_ERR_LEN], *found = NULL;
    size_t len;
    char *text = path ? read_file(path, 1 << 24, &len, err) : NULL;
    for (char *line = text, *next; line && *line && !found; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        cJSON *o = cJSON_Parse(line);
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "key");
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "answer");
        if (cJSON_IsString(k) && cJSON_IsString(a) && strstr(prompt, k->valuestring))
            found = xstrdup(a->valuestring);
        cJSON_Delete(o);
    }
    free(text);
    if (found)
        return found;
    const char *env = getenv("QB_FAKE_ANSWER");
    return xstrdup(env ? env : "fake answer");
}

int engine_sampler_sample(struct engine_sampler *s, struct engine *e, int32_t *tok, char *err)
{
    if (!e->has_ctx || e->pos == 0)
        return set_err(err, "no logits to sample from");
    fake_stats.samples++;
    if (!s->answer)
        s->answer = answer_for(e->hist ? e->hist : "");
    size_t n = strlen(s->answer);
    *tok = s->k < n ? (int32_t)(unsigned char)s->answer[s->k++] : fake_cfg.eos;
    return 0;
}
