/* Answering one prompt (see prompts.h). The clock points are llama-server's
 * (tools/server/server-context.cpp, server-common.h): t0 before the prompt's first
 * decode, t_first after the first token is sampled (sampling waits for the decode), t_last
 * after each later one; what happens to a token's text between samples (stop strings, the
 * callback) is inside the generation time, as the server's processing of a token is. */
#include "prompts.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"
#include "../util/util.h"

const char *prompts_stop_name(enum prompts_stop s)
{
    switch (s) {
    case PROMPTS_STOP_EOG: return "eog";
    case PROMPTS_STOP_STRING: return "stop";
    case PROMPTS_STOP_LENGTH: return "length";
    }
    return "?";
}

void prompts_gen_result_release(struct prompts_gen_result *r)
{
    free(r->text);
    r->text = NULL;
    r->len = 0;
}

double prompts_gen_tps(const struct prompts_gen_result *r)
{
    if (r->n_gen_tokens < 2 || r->gen_ns == 0)
        return 0;
    return 1e9 * (r->n_gen_tokens - 1) / (double)r->gen_ns;
}

int prompts_tokenize(const struct engine *e, const char *system, const char *prompt, int32_t **tok,
                     int *n, enum engine_chat_tmpl *tmpl, char *err)
{
    struct engine_chat_msg m[2];
    int k = 0;
    if (system && system[0])
        m[k++] = (struct engine_chat_msg){"system", system};
    m[k++] = (struct engine_chat_msg){"user", prompt};
    char *text;
    *tok = NULL;
    *n = 0;
    if (engine_chat_apply(e, m, k, &text, tmpl, err) < 0)
        return -1;
    int rc = engine_tokenize_chat(e, text, strlen(text), tok, n, err);
    free(text);
    return rc;
}

int prompts_check_length(int n, int n_ctx, char *err)
{
    if (n >= n_ctx)
        return set_err(err, "the prompt of %d tokens does not fit the context of %d (-c)", n,
                       n_ctx);
    return 0;
}

int prompts_warmup(struct engine *e, char *err)
{
    struct engine_model_info mi;
    engine_model_info(e, &mi);
    int32_t t[2];
    int n = 0;
    if (mi.bos >= 0)
        t[n++] = mi.bos;
    if (mi.eos >= 0)
        t[n++] = mi.eos;
    if (n == 0)
        t[n++] = 0;
    int rc = engine_decode(e, t, n, err);
    engine_memory_clear(e);
    engine_synchronize(e);
    return rc;
}

/* ---- the answer's text: UTF-8 kept valid as pieces arrive ---- */

struct gen_text {
    char *s; /* NUL-terminated */
    size_t len, cap;
    unsigned char pend[4]; /* the start of a character whose other bytes are to come */
    int n_pend;
};

static void text_put(struct gen_text *t, const void *b, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = 2 * (t->len + n) + 64;
        t->s = xrealloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, b, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_bad(struct gen_text *t)
{
    text_put(t, "\xef\xbf\xbd", 3); /* U+FFFD */
}

/* bytes of the character lead begins; 0: not a lead byte */
static int utf8_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return 2;
    if (c >= 0xe0 && c <= 0xef)
        return 3;
    if (c >= 0xf0 && c <= 0xf4)
        return 4;
    return 0;
}

/* whether c may be byte i (1..3) of a character begun by lead (no overlong forms, no
 * surrogates, nothing above U+10FFFF) */
static bool utf8_cont(unsigned char lead, unsigned char c, int i)
{
    unsigned char lo = 0x80, hi = 0xbf;
    if (i == 1 && lead == 0xe0)
        lo = 0xa0;
    else if (i == 1 && lead == 0xed)
        hi = 0x9f;
    else if (i == 1 && lead == 0xf0)
        lo = 0x90;
    else if (i == 1 && lead == 0xf4)
        hi = 0x8f;
    return c >= lo && c <= hi;
}

static void text_add(struct gen_text *t, const char *piece, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)piece[i];
        if (t->n_pend) {
            if (utf8_cont(t->pend[0], c, t->n_pend)) {
                t->pend[t->n_pend++] = c;
                if (t->n_pend == utf8_len(t->pend[0])) {
                    text_put(t, t->pend, (size_t)t->n_pend);
                    t->n_pend = 0;
                }
                continue;
            }
            text_bad(t); /* a character cut short; c starts afresh */
            t->n_pend = 0;
        }
        int k = utf8_len(c);
        if (c == 0 || k == 0)
            text_bad(t);
        else if (k == 1)
            text_put(t, &c, 1);
        else
            t->pend[t->n_pend++] = c;
    }
}

/* the end: a character still open is cut short */
static void text_flush(struct gen_text *t)
{
    if (t->n_pend)
        text_bad(t);
    t->n_pend = 0;
}

/* ---- stop strings ---- */

/* where the first stop string begins in s[from..len): llama-server looks only at the text
 * not sent yet, since a stop string's beginning is never sent; len when none */
static size_t stop_find(const struct prompts_gen_params *p, const char *s, size_t len, size_t from)
{
    size_t at = len;
    for (int k = 0; k < PROMPTS_MAX_STOP; k++) {
        size_t sl = strnlen(p->stop[k], PROMPTS_STOP_LEN);
        if (!sl || len - from < sl)
            continue;
        const char *hit = memmem(s + from, len - from, p->stop[k], sl);
        if (hit && (size_t)(hit - s) < at)
            at = (size_t)(hit - s);
    }
    return at;
}

/* where the longest end of s[from..len) that begins a stop string starts (held back until
 * the next tokens tell); len when none */
static size_t stop_hold(const struct prompts_gen_params *p, const char *s, size_t len, size_t from)
{
    size_t hold = len;
    for (int k = 0; k < PROMPTS_MAX_STOP; k++) {
        size_t sl = strnlen(p->stop[k], PROMPTS_STOP_LEN);
        size_t most = sl ? sl - 1 : 0;
        if (most > len - from)
            most = len - from;
        for (size_t m = most; m > 0; m--)
            if (memcmp(s + len - m, p->stop[k], m) == 0) {
                if (len - m < hold)
                    hold = len - m;
                break;
            }
    }
    return hold;
}

int prompts_gen(struct engine *e, const int32_t *tok, int n, const struct prompts_gen_params *p,
                struct prompts_gen_result *r, char *err)
{
    memset(r, 0, sizeof(*r));
    r->n_prompt_tokens = n;
    if (n < 1)
        return set_err(err, "the prompt has no tokens");
    if (prompts_check_length(n, p->n_ctx, err) < 0)
        return -1;
    struct engine_sampler *smp = engine_sampler_new(e, &p->sp, err);
    if (!smp)
        return -1;
    engine_memory_clear(e);
    struct gen_text t = {0};
    text_put(&t, "", 0);
    size_t sent = 0;
    int ret = -1, chunk = p->n_batch > 0 ? p->n_batch : n;
    int32_t cur;
    uint64_t t0 = monotime_ns();
    for (int off = 0; off < n; off += chunk)
        if (engine_decode(e, tok + off, n - off < chunk ? n - off : chunk, err) < 0)
            goto out;
    if (engine_sampler_sample(smp, e, &cur, err) < 0)
        goto out;
    uint64_t t_first = monotime_ns(), t_last = t_first;
    r->n_gen_tokens = 1;
    for (;;) {
        size_t plen;
        const char *piece = engine_token_piece(e, cur, &plen, err);
        if (!piece)
            goto out;
        text_add(&t, piece, plen);
        /* llama-server's order: a stop string, the context full, max_tokens; an EOG token
         * names the stop whatever else did */
        bool eog = engine_token_is_eog(e, cur), done = true;
        size_t at = stop_find(p, t.s, t.len, sent);
        if (at < t.len) {
            t.len = at;
            t.s[at] = '\0';
            t.n_pend = 0;
            r->stop = PROMPTS_STOP_STRING;
        } else if (n + r->n_gen_tokens >= p->n_ctx || r->n_gen_tokens >= p->max_tokens) {
            r->stop = PROMPTS_STOP_LENGTH;
        } else {
            done = false;
        }
        if (eog) {
            r->stop = PROMPTS_STOP_EOG;
            done = true;
        }
        if (done)
            text_flush(&t);
        size_t upto = done ? t.len : stop_hold(p, t.s, t.len, sent);
        if (p->token)
            p->token(p->token_ud, r->n_gen_tokens, t.s + sent, upto - sent);
        sent = upto;
        if (done)
            break;
        if (engine_decode(e, &cur, 1, err) < 0 || engine_sampler_sample(smp, e, &cur, err) < 0)
            goto out;
        t_last = monotime_ns();
        r->n_gen_tokens++;
    }
    r->ttft_ns = t_first - t0;
    r->gen_ns = t_last - t_first;
    r->total_ns = t_last - t0;
    ret = 0;
out:
    engine_sampler_free(smp);
    r->text = t.s;
    r->len = t.len;
    return ret;
}
