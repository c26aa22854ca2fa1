/* KL-divergence (see kld.h). The arithmetic follows llama-perplexity's, float and double
 * where it uses them, so the figures agree beyond the digits it prints. */
#include "kld.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/util.h"

/* round to nearest as llama-perplexity's nearest_int */
static int nearest(float v)
{
    float f = v + 12582912.f;
    int i;
    memcpy(&i, &f, sizeof(i));
    return (i & 0x007fffff) - 0x00400000;
}

double kld_save_row(const float *logits, int n_vocab, uint16_t *row, int tok)
{
    float max = logits[0], min = logits[0];
    for (int i = 1; i < n_vocab; i++) {
        if (logits[i] > max)
            max = logits[i];
        if (logits[i] < min)
            min = logits[i];
    }
    if (min < max - 16)
        min = max - 16;
    double sum = 0;
    for (int i = 0; i < n_vocab; i++)
        sum += expf(logits[i] - max);
    const float log_sum = (float)log(sum);
    const float min_log_prob = min - max - log_sum;
    const float scale = (max - min) / 65535.f;
    float d[2] = {scale, min_log_prob};
    memcpy(row, d, sizeof(d));
    uint16_t *q = row + 4;
    if (scale != 0) {
        const float inv = 1 / scale;
        for (int i = 0; i < n_vocab; i++)
            q[i] = logits[i] > min ? (uint16_t)nearest(inv * (logits[i] - min)) : 0;
    } else {
        memset(q, 0, (size_t)n_vocab * sizeof(uint16_t));
    }
    if (n_vocab % 2)
        q[n_vocab] = 0;
    return (double)(max + log_sum - logits[tok]);
}

double kld_row(struct kld_acc *a, const float *logits, int n_vocab, const uint16_t *base, int tok)
{
    float max = logits[0];
    int imax = 0;
    for (int i = 1; i < n_vocab; i++)
        if (logits[i] > max) {
            max = logits[i];
            imax = i;
        }
    double sum_exp = 0;
    for (int i = 0; i < n_vocab; i++)
        sum_exp += expf(logits[i] - max);
    const float log_sum = (float)log(sum_exp);
    float d[2];
    memcpy(d, base, sizeof(d));
    const float scale = d[0], min_log_prob = d[1];
    const uint16_t *q = base + 4;
    const float nll = max + log_sum - logits[tok];
    a->sum_nll += nll;
    a->sum_nll2 += nll * nll;
    const float nll_base = -(scale * q[tok] + min_log_prob);
    a->sum_nll_base += nll_base;
    a->sum_nll_base2 += nll_base * nll_base;
    a->sum_nll_nll_base += nll * nll_base;
    max += log_sum;
    double sum = 0;
    int imax_base = -1;
    float lp_max = 0;
    for (int i = 0; i < n_vocab; i++) {
        const float lp = scale * q[i] + min_log_prob;
        if (i == 0 || lp > lp_max) {
            lp_max = lp;
            imax_base = i;
        }
        if (lp > -16.f)
            sum += expf(lp) * (lp - logits[i] + max);
    }
    a->sum_kld += sum;
    a->sum_kld2 += sum * sum;
    if (imax == imax_base)
        a->n_same_top++;
    const float p_diff = expf(-nll) - expf(-nll_base);
    a->sum_p_diff += p_diff;
    const double p2 = (double)p_diff * p_diff;
    a->sum_p_diff2 += p2;
    a->sum_p_diff4 += p2 * p2;
    if (fabsf(p_diff) > a->max_p_diff)
        a->max_p_diff = fabsf(p_diff);
    if (a->count == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 1024;
        a->kld_values = xrealloc(a->kld_values, a->cap * sizeof(float));
        a->p_diff_values = xrealloc(a->p_diff_values, a->cap * sizeof(float));
    }
    a->kld_values[a->count] = (float)sum;
    a->p_diff_values[a->count] = p_diff;
    a->count++;
    return nll;
}

static void mean_unc(double sum, double sum2, size_t n, double *f, double *df)
{
    *f = *df = 0;
    if (n < 1)
        return;
    *f = sum / (double)n;
    double v = sum2 / (double)n - *f * *f;
    *df = v > 0 && n > 10 ? sqrt(v / (double)(n - 1)) : 0.;
}

static double covariance(double sa, double sb, double sab, size_t n)
{
    if (n < 10)
        return 0;
    double v = sab / (double)n - (sa / (double)n) * (sb / (double)n);
    return v / (double)(n - 1);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static float percentile(const float *v, size_t n, float fraction)
{
    if (fraction <= 0)
        return v[0];
    if (fraction >= 1)
        return v[n - 1];
    float p = fraction * (float)(n - 1);
    size_t ip = (size_t)p;
    p -= (float)ip;
    return (1 - p) * v[ip] + p * v[ip + 1 < n ? ip + 1 : n - 1];
}

static float median(const float *v, size_t n)
{
    return n % 2 == 0 ? 0.5f * (v[n / 2] + v[n / 2 - 1]) : v[n / 2];
}

void kld_finish(struct kld_acc *a, struct kld_stats *s)
{
    memset(s, 0, sizeof(*s));
    s->count = a->count;
    if (!a->count)
        return;
    double lp, lpe, lb, lbe;
    mean_unc(a->sum_nll, a->sum_nll2, a->count, &lp, &lpe);
    mean_unc(a->sum_nll_base, a->sum_nll_base2, a->count, &lb, &lbe);
    s->ppl = exp(lp);
    s->ppl_err = s->ppl * lpe;
    s->ppl_base = exp(lb);
    s->ppl_base_err = s->ppl_base * lbe;
    double cov = covariance(a->sum_nll, a->sum_nll_base, a->sum_nll_nll_base, a->count);
    s->cor = lpe > 0 && lbe > 0 ? cov / (lpe * lbe) : 0;
    s->ln_ratio = lp - lb;
    s->ln_ratio_err = sqrt(lpe * lpe + lbe * lbe - 2.0 * cov);
    s->ratio = exp(s->ln_ratio);
    s->ratio_err = s->ratio * s->ln_ratio_err;
    double ppl_cov = s->ppl * s->ppl_base * cov;
    s->diff = s->ppl - s->ppl_base;
    s->diff_err = sqrt(s->ppl_err * s->ppl_err + s->ppl_base_err * s->ppl_base_err - 2.0 * ppl_cov);
    mean_unc(a->sum_kld, a->sum_kld2, a->count, &s->kld, &s->kld_err);
    size_t n = a->count;
    qsort(a->kld_values, n, sizeof(float), cmp_float);
    qsort(a->p_diff_values, n, sizeof(float), cmp_float);
    const float kf[11] = {1, .999f, .99f, .95f, .90f, -1, .10f, .05f, .01f, .001f, 0};
    for (int i = 0; i < 11; i++)
        s->kld_pct[i] = kf[i] < 0 ? median(a->kld_values, n) : percentile(a->kld_values, n, kf[i]);
    mean_unc(a->sum_p_diff, a->sum_p_diff2, a->count, &s->dp, &s->dp_err);
    const float pf[13] = {1, .999f, .99f, .95f, .90f, .75f, -1, .25f, .10f, .05f, .01f, .001f, 0};
    for (int i = 0; i < 13; i++)
        s->dp_pct[i] =
            pf[i] < 0 ? median(a->p_diff_values, n) : percentile(a->p_diff_values, n, pf[i]);
    double mse, mse_err;
    mean_unc(a->sum_p_diff2, a->sum_p_diff4, a->count, &mse, &mse_err);
    s->rms_dp = sqrt(mse);
    s->rms_dp_err = s->rms_dp > 0 ? 0.5 / s->rms_dp * mse_err : 0;
    s->same_top = (double)a->n_same_top / (double)a->count;
    s->same_top_err =
        a->count > 1 ? sqrt(s->same_top * (1.0 - s->same_top) / (double)(a->count - 1)) : 0;
}

/* ---- base files ---- */

/* bytes of one row: uint16 slots (full) or 32-bit words (compact) */
static size_t row_bytes(int32_t n_vocab, int32_t k)
{
    return k ? 4 * (size_t)(1 + 2 * k) : 2 * kld_row_len(n_vocab);
}

static uint64_t file_bytes(uint32_t n_ctx, int32_t n_vocab, int32_t n_chunk, int32_t k)
{
    uint64_t rows = (uint64_t)n_chunk * (n_ctx - 1 - n_ctx / 2);
    return 8 + 12 + (k ? 4 : 0) + 4ull * n_ctx * (uint64_t)n_chunk + rows * row_bytes(n_vocab, k);
}

struct cand {
    float lp;
    int32_t id;
};

static int cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->lp != y->lp)
        return x->lp > y->lp ? -1 : 1;
    return x->id - y->id;
}

/* the k largest logits (ids), most probable first */
static void top_k(const float *logits, int n_vocab, int k, struct cand *out)
{
    int n = 0;
    for (int i = 0; i < n_vocab; i++) {
        if (n < k) {
            out[n++] = (struct cand){logits[i], i};
            if (n == k)
                qsort(out, (size_t)n, sizeof(*out), cmp_cand);
        } else if (logits[i] > out[k - 1].lp) {
            int j = k - 1; /* insert, keeping the order */
            while (j > 0 && logits[i] > out[j - 1].lp) {
                out[j] = out[j - 1];
                j--;
            }
            out[j] = (struct cand){logits[i], i};
        }
    }
    if (n < k)
        qsort(out, (size_t)n, sizeof(*out), cmp_cand);
}

double kld_save_topk(const float *logits, int n_vocab, int k, uint32_t *rec, int tok)
{
    float max = logits[0];
    for (int i = 1; i < n_vocab; i++)
        if (logits[i] > max)
            max = logits[i];
    double sum = 0;
    for (int i = 0; i < n_vocab; i++)
        sum += expf(logits[i] - max);
    const float log_norm = max + (float)log(sum);
    struct cand c[KLD_TOPK_MAX];
    top_k(logits, n_vocab, k, c);
    float lp = logits[tok] - log_norm;
    memcpy(&rec[0], &lp, 4);
    for (int j = 0; j < k; j++) {
        float l = c[j].lp - log_norm;
        memcpy(&rec[1 + 2 * j], &c[j].id, 4);
        memcpy(&rec[2 + 2 * j], &l, 4);
    }
    return (double)(log_norm - logits[tok]);
}

double kld_row_topk(struct kld_acc *a, const float *logits, int n_vocab, int k, const uint32_t *rec,
                    int tok)
{
    float max = logits[0];
    int imax = 0;
    for (int i = 1; i < n_vocab; i++)
        if (logits[i] > max) {
            max = logits[i];
            imax = i;
        }
    double sum_exp = 0;
    for (int i = 0; i < n_vocab; i++)
        sum_exp += expf(logits[i] - max);
    const float log_norm = max + (float)log(sum_exp);
    float lp_tok;
    memcpy(&lp_tok, &rec[0], 4);
    const float nll = log_norm - logits[tok], nll_base = -lp_tok;
    a->sum_nll += nll;
    a->sum_nll2 += nll * nll;
    a->sum_nll_base += nll_base;
    a->sum_nll_base2 += nll_base * nll_base;
    a->sum_nll_nll_base += nll * nll_base;
    /* KL of the coarsened distributions: the k tokens, and the rest as one bucket */
    double sum = 0, pb_k = 0, q_k = 0;
    int32_t top_base = -1;
    for (int j = 0; j < k; j++) {
        int32_t id;
        float lp;
        memcpy(&id, &rec[1 + 2 * j], 4);
        memcpy(&lp, &rec[2 + 2 * j], 4);
        if (j == 0)
            top_base = id;
        if (id < 0 || id >= n_vocab)
            continue;
        const float lq = logits[id] - log_norm;
        const double pb = exp((double)lp);
        pb_k += pb;
        q_k += exp((double)lq);
        sum += pb * (lp - lq);
    }
    const double rb = 1.0 - pb_k, rq = 1.0 - q_k;
    if (rb > 1e-12 && rq > 1e-12)
        sum += rb * (log(rb) - log(rq));
    a->sum_kld += sum;
    a->sum_kld2 += sum * sum;
    if (imax == top_base)
        a->n_same_top++;
    const float p_diff = expf(-nll) - expf(-nll_base);
    a->sum_p_diff += p_diff;
    const double p2 = (double)p_diff * p_diff;
    a->sum_p_diff2 += p2;
    a->sum_p_diff4 += p2 * p2;
    if (fabsf(p_diff) > a->max_p_diff)
        a->max_p_diff = fabsf(p_diff);
    if (a->count == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 1024;
        a->kld_values = xrealloc(a->kld_values, a->cap * sizeof(float));
        a->p_diff_values = xrealloc(a->p_diff_values, a->cap * sizeof(float));
    }
    a->kld_values[a->count] = (float)sum;
    a->p_diff_values[a->count] = p_diff;
    a->count++;
    return nll;
}

int kld_file_open(const char *path, struct kld_file *kf, char *err)
{
    FILE *f = fopen_regular(path, err);
    if (!f) {
        memset(kf, 0, sizeof(*kf));
        return -1;
    }
    return kld_file_read(f, path, kf, err);
}

int kld_file_read(FILE *f, const char *path, struct kld_file *kf, char *err)
{
    memset(kf, 0, sizeof(*kf));
    kf->f = f;
    char magic[8];
    bool topk = false;
    if (fread(magic, 1, 8, kf->f) != 8 ||
        (memcmp(magic, KLD_MAGIC, 8) != 0 && !(topk = !memcmp(magic, KLD_TOPK_MAGIC, 8))) ||
        fread(&kf->n_ctx, 4, 1, kf->f) != 1 || fread(&kf->n_vocab, 4, 1, kf->f) != 1 ||
        fread(&kf->n_chunk, 4, 1, kf->f) != 1 || (topk && fread(&kf->k, 4, 1, kf->f) != 1) ||
        (topk && (kf->k < 1 || kf->k > KLD_TOPK_MAX))) {
        kld_file_close(kf);
        return set_err(
            err, "'%s' is not a log-probability file (no '_logits_' or 'QBTOPK01' header)", path);
    }
    if (kf->n_ctx < 4 || kf->n_ctx > (1u << 24) || kf->n_vocab < 1 || kf->n_vocab > (1 << 24) ||
        kf->n_chunk < 1 || kf->n_chunk > (1 << 24)) {
        set_err(err, "'%s': implausible header (n_ctx %u, n_vocab %d, %d chunks)", path, kf->n_ctx,
                kf->n_vocab, kf->n_chunk);
        kld_file_close(kf);
        return -1;
    }
    uint64_t want = file_bytes(kf->n_ctx, kf->n_vocab, kf->n_chunk, kf->k);
    if (fseeko(kf->f, 0, SEEK_END) != 0 || (uint64_t)ftello(kf->f) != want) {
        set_err(err, "'%s' is truncated or corrupt: %lld bytes, its header needs %llu", path,
                (long long)ftello(kf->f), (unsigned long long)want);
        kld_file_close(kf);
        return -1;
    }
    fseeko(kf->f, kf->k ? 24 : 20, SEEK_SET);
    size_t nt = (size_t)kf->n_ctx * (size_t)kf->n_chunk;
    kf->tokens = xcalloc(nt, sizeof(int32_t));
    if (fread(kf->tokens, sizeof(int32_t), nt, kf->f) != nt) {
        set_err(err, "cannot read the tokens of '%s'", path);
        kld_file_close(kf);
        return -1;
    }
    for (size_t i = 0; i < nt; i++)
        if (kf->tokens[i] < 0 || kf->tokens[i] >= kf->n_vocab) {
            set_err(err, "'%s': token %d at %zu is outside its vocabulary of %d", path,
                    kf->tokens[i], i, kf->n_vocab);
            kld_file_close(kf);
            return -1;
        }
    kf->row = xcalloc(row_bytes(kf->n_vocab, kf->k), 1);
    kf->path = xstrdup(path);
    return 0;
}

int kld_file_next(struct kld_file *kf, char *err)
{
    size_t n = row_bytes(kf->n_vocab, kf->k);
    if (fread(kf->row, 1, n, kf->f) != n)
        return set_err(err, "'%s': fewer log-probability rows than its header says", kf->path);
    return 0;
}

int kld_file_create(const char *path, struct kld_file *kf, uint32_t n_ctx, int32_t n_vocab,
                    int32_t n_chunk, int32_t k, const int32_t *tokens, char *err)
{
    memset(kf, 0, sizeof(*kf));
    kf->n_ctx = n_ctx;
    kf->n_vocab = n_vocab;
    kf->n_chunk = n_chunk;
    kf->k = k;
    kf->path = xstrdup(path);
    kf->tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    kf->f = fopen(kf->tmp, "wb");
    if (!kf->f) {
        set_err(err, "cannot write '%s': %s", kf->tmp, strerror(errno));
        free(kf->tmp);
        kf->tmp = NULL;
        kld_file_close(kf);
        return -1;
    }
    kf->row = xcalloc(row_bytes(n_vocab, k), 1);
    size_t nt = (size_t)n_ctx * (size_t)n_chunk;
    if (fwrite(k ? KLD_TOPK_MAGIC : KLD_MAGIC, 1, 8, kf->f) != 8 ||
        fwrite(&n_ctx, 4, 1, kf->f) != 1 || fwrite(&n_vocab, 4, 1, kf->f) != 1 ||
        fwrite(&n_chunk, 4, 1, kf->f) != 1 || (k && fwrite(&k, 4, 1, kf->f) != 1) ||
        fwrite(tokens, sizeof(int32_t), nt, kf->f) != nt) {
        set_err(err, "cannot write '%s': %s", kf->tmp, strerror(errno));
        kld_file_close(kf);
        return -1;
    }
    return 0;
}

int kld_file_write_row(struct kld_file *kf, char *err)
{
    size_t n = row_bytes(kf->n_vocab, kf->k);
    if (fwrite(kf->row, 1, n, kf->f) != n)
        return set_err(err, "cannot write '%s': %s", kf->tmp, strerror(errno));
    return 0;
}

int kld_file_commit(struct kld_file *kf, char *err)
{
    int rc = 0;
    if (fflush(kf->f) != 0 || fsync(fileno(kf->f)) != 0)
        rc = set_err(err, "cannot write '%s': %s", kf->tmp, strerror(errno));
    fclose(kf->f);
    kf->f = NULL;
    if (rc == 0 && rename(kf->tmp, kf->path) != 0)
        rc = set_err(err, "cannot rename '%s' to '%s': %s", kf->tmp, kf->path, strerror(errno));
    if (rc == 0) {
        free(kf->tmp);
        kf->tmp = NULL;
    }
    return rc;
}

void kld_file_close(struct kld_file *kf)
{
    if (kf->f)
        fclose(kf->f);
    if (kf->tmp) {
        unlink(kf->tmp);
        free(kf->tmp);
    }
    free(kf->path);
    free(kf->tokens);
    free(kf->row);
    memset(kf, 0, sizeof(*kf));
}
