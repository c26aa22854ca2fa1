/* Perplexity (see ppl.h). */
#include "ppl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"
#include "../util/util.h"

int ppl_n_seq(const struct ppl_params *p)
{
    int n = p->n_batch / p->n_ctx;
    return n > 1 ? n : 1;
}

/* -log p(tok) from one row of logits, as llama-perplexity computes it: float max and
 * exponentials, a double sum */
static double nll_of(const float *logits, int n_vocab, int tok)
{
    float max = logits[0];
    for (int i = 1; i < n_vocab; i++)
        if (logits[i] > max)
            max = logits[i];
    double sum = 0;
    for (int i = 0; i < n_vocab; i++)
        sum += expf(logits[i] - max);
    return -((double)(logits[tok] - max) - log(sum));
}

void ppl_ctx_params(const struct ppl_params *p, struct engine_ctx_params *cp)
{
    const int n_seq = ppl_n_seq(p);
    cp->n_ctx = (uint32_t)(n_seq * p->n_ctx);
    cp->n_batch = (uint32_t)p->n_batch < cp->n_ctx ? (uint32_t)p->n_batch : cp->n_ctx;
    cp->n_ubatch = cp->n_ubatch < cp->n_batch ? cp->n_ubatch : cp->n_batch;
    cp->n_seq_max = (uint32_t)n_seq;
}

int ppl_n_chunks(const struct ppl_params *p, int n_tokens)
{
    int n = n_tokens / p->n_ctx;
    return p->n_chunks > 0 && p->n_chunks < n ? p->n_chunks : n;
}

int ppl_check_length(const struct ppl_params *p, int n_tokens, char *err)
{
    if (n_tokens < 2 * p->n_ctx)
        return set_err(err,
                       "the text tokenizes to %d tokens; perplexity with -c %d needs at least %d "
                       "(two chunks)",
                       n_tokens, p->n_ctx, 2 * p->n_ctx);
    return 0;
}

int ppl_run(struct engine *e, const int32_t *tokens, int n_tokens, const struct ppl_params *p,
            const struct ppl_hook *hook, struct ppl_result *r, char *err)
{
    memset(r, 0, sizeof(*r));
    const int n_ctx = p->n_ctx, n_seq = ppl_n_seq(p);
    int n_batch = p->n_batch < n_ctx * n_seq ? p->n_batch : n_ctx * n_seq;
    if (n_ctx < 4)
        return set_err(err, "a chunk of %d tokens is too short (-c 4 at least)", n_ctx);
    if (ppl_check_length(p, n_tokens, err) < 0)
        return -1;
    struct engine_model_info mi;
    engine_model_info(e, &mi);
    const int n_vocab = mi.n_vocab;
    int n_chunk = ppl_n_chunks(p, n_tokens);
    const int num_batches = (n_ctx + n_batch - 1) / n_batch;
    const int first = n_ctx / 2;
    const int n_score = n_ctx - 1 - first;
    r->n_seq = n_seq;
    r->chunk_ppl = xcalloc((size_t)n_chunk, sizeof(double));
    struct engine_tok *bt = xcalloc((size_t)n_batch, sizeof(*bt));
    /* with a chunk in several decodes, its scored rows are gathered here */
    float *rows = num_batches > 1 ? xcalloc((size_t)n_ctx * (size_t)n_vocab, sizeof(float)) : NULL;
    uint64_t t0 = monotime_ns();
    int rc = 0;
    for (int i = 0; i < n_chunk && rc == 0; i += n_seq) {
        const int start = i * n_ctx;
        const int n_seq_batch = n_seq < n_chunk - i ? n_seq : n_chunk - i;
        int n_rows = 0;
        engine_memory_clear(e);
        for (int j = 0; j < num_batches && rc == 0; j++) {
            const int batch_start = start + j * n_batch;
            const int batch_size = n_ctx - j * n_batch < n_batch ? n_ctx - j * n_batch : n_batch;
            int n = 0, out0 = -1;
            for (int s = 0; s < n_seq_batch; s++) {
                for (int k = 0; k < batch_size; k++) {
                    int32_t tok = tokens[batch_start + s * n_ctx + k];
                    if (mi.add_bos && j == 0 && k == 0)
                        tok = mi.bos;
                    bt[n].token = tok;
                    bt[n].pos = j * n_batch + k;
                    bt[n].seq = s;
                    bt[n].logits = p->all_logits || bt[n].pos >= first;
                    if (bt[n].pos >= first && out0 < 0)
                        out0 = n;
                    n++;
                }
            }
            if (engine_decode_tokens(e, bt, n, err) < 0) {
                rc = -1;
                break;
            }
            if (num_batches > 1 && out0 >= 0) {
                const float *l = engine_logits(e, out0, err);
                if (!l) {
                    rc = -1;
                    break;
                }
                int k = n - out0; /* one sequence: its outputs follow each other */
                memcpy(rows + (size_t)n_rows * n_vocab, l, (size_t)k * n_vocab * sizeof(float));
                n_rows += k;
            }
        }
        if (rc)
            break;
        for (int s = 0; s < n_seq_batch; s++) {
            const float *l = rows;
            if (num_batches == 1 && !(l = engine_logits(e, s * n_ctx + first, err))) {
                rc = -1;
                break;
            }
            const int32_t *tk = tokens + start + s * n_ctx + first;
            for (int k = 0; k < n_score && rc == 0; k++) {
                const float *row = l + (size_t)k * n_vocab;
                double v;
                if (hook)
                    rc = hook->row(hook->ud, row, n_vocab, tk[k + 1], &v, err);
                else
                    v = nll_of(row, n_vocab, tk[k + 1]);
                r->nll += v;
                r->nll2 += v * v;
            }
            if (rc)
                break;
            r->count += n_score;
            r->chunk_ppl[r->n_chunks++] = exp(r->nll / (double)r->count);
        }
        if (rc == 0 && p->progress)
            p->progress(p->progress_ud, r->n_chunks, n_chunk);
    }
    r->ns = monotime_ns() - t0;
    free(bt);
    free(rows);
    if (rc)
        return -1;
    double mean = r->nll / (double)r->count, var = r->nll2 / (double)r->count - mean * mean;
    r->ppl = exp(mean);
    r->ppl_err = var > 0 && r->count > 1 ? sqrt(var / (double)(r->count - 1)) * r->ppl : 0;
    return 0;
}

int ppl_tokens_check(struct engine *e, const int32_t *tok, int n, int *diff, char *err)
{
    struct engine_model_info mi;
    engine_model_info(e, &mi);
    const int m = n < 4096 ? n : 4096;
    *diff = 0;
    if (m < 1)
        return 0;
    if (mi.add_bos != (tok[0] == mi.bos))
        return 1;
    const int skip = mi.add_bos ? 1 : 0;
    char *text;
    size_t len;
    if (engine_detokenize(e, tok + skip, m - skip, &text, &len, err) < 0)
        return -1;
    int32_t *again;
    int n2;
    int rc = engine_tokenize(e, text, len, true, &again, &n2, err);
    free(text);
    if (rc < 0)
        return -1;
    const int tail = m > 32 ? 16 : 1;
    int lim = (m < n2 ? m : n2) - tail;
    rc = n2 < m - tail; /* a cut word may split otherwise, but not lose tokens */
    *diff = n2;
    for (int i = 0; i < lim; i++)
        if (tok[i] != again[i]) {
            *diff = i;
            rc = 1;
            break;
        }
    free(again);
    return rc;
}
