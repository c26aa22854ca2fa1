/* KL-divergence of a model against a base model's log-probabilities, as llama-perplexity
 * --kl-divergence computes it, and the base file itself (llama-perplexity's "_logits_"
 * format: magic, n_ctx, n_vocab, n_chunk, the tokens, then per scored token the
 * log-probabilities quantized to uint16 after two floats (scale, min)). */
#ifndef QB_KLD_H
#define QB_KLD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KLD_MAGIC "_logits_"

/* uint16 slots of one scored token's row: 2 floats, then n_vocab rounded up to even */
static inline size_t kld_row_len(int n_vocab)
{
    return (size_t)(2 * ((n_vocab + 1) / 2) + 4);
}

/* Quantize a row of logits into row (kld_row_len slots); returns its NLL of tok, computed
 * as llama-perplexity does while saving. */
double kld_save_row(const float *logits, int n_vocab, uint16_t *row, int tok);

struct kld_acc {
    double sum_nll, sum_nll2, sum_nll_base, sum_nll_base2, sum_nll_nll_base;
    double sum_kld, sum_kld2, sum_p_diff, sum_p_diff2, sum_p_diff4;
    float max_p_diff;
    size_t n_same_top, count;
    float *kld_values, *p_diff_values; /* per token (count), the caller frees */
    size_t cap;
};

/* One scored token against its base row; returns its NLL. */
double kld_row(struct kld_acc *a, const float *logits, int n_vocab, const uint16_t *base, int tok);

struct kld_stats {
    size_t count;
    double ppl, ppl_err, ppl_base, ppl_base_err, cor;
    double ln_ratio, ln_ratio_err, ratio, ratio_err, diff, diff_err;
    double kld, kld_err;
    double kld_pct[11]; /* max, 99.9, 99, 95, 90, median, 10, 5, 1, 0.1, min */
    double dp, dp_err;
    double dp_pct[13]; /* max, 99.9, 99, 95, 90, 75, median, 25, 10, 5, 1, 0.1, min */
    double rms_dp, rms_dp_err, same_top, same_top_err;
};

/* Statistics as llama-perplexity prints them (sorts the value arrays). */
void kld_finish(struct kld_acc *a, struct kld_stats *s);

/* A base log-probability file being read or written */
/* Our compact format ("QBTOPK01"): the same header with k after n_chunk, the tokens, then
 * per scored token the log-probability of the actual next token (float) and the k most
 * probable tokens as (int32 id, float log-probability), most probable first. KLD from it
 * is the divergence of the distributions coarsened to those k tokens plus one bucket for
 * the rest (a lower bound of the full KLD, by the log-sum inequality); every other
 * statistic is exact. */
#define KLD_TOPK_MAGIC "QBTOPK01"
#define KLD_TOPK_MAX   4096

/* Quantities of one scored token in the compact format: fills rec (1 + 2k 32-bit words)
 * and returns the NLL as kld_save_row does. */
double kld_save_topk(const float *logits, int n_vocab, int k, uint32_t *rec, int tok);
/* kld_row against a compact record */
double kld_row_topk(struct kld_acc *a, const float *logits, int n_vocab, int k, const uint32_t *rec,
                    int tok);

struct kld_file {
    uint32_t n_ctx;
    int32_t n_vocab, n_chunk;
    int32_t k;       /* 0: llama-perplexity's full format; > 0: compact, k tokens per row */
    int32_t *tokens; /* n_ctx * n_chunk */
    FILE *f;
    char *path, *tmp; /* writing: the temporary file renamed over path on commit */
    uint16_t *row;    /* one row's buffer */
};

/* Open and check a base file (magic, header, exact size, token ids); -1 with err naming
 * the file and the problem. */
int kld_file_open(const char *path, struct kld_file *kf, char *err);
/* The same on an open stream (taken over: closed by kld_file_close); path names it. */
int kld_file_read(FILE *f, const char *path, struct kld_file *kf, char *err);
/* Read the next row into kf->row; -1 with err at the end or on a read error. */
int kld_file_next(struct kld_file *kf, char *err);
/* Start writing path (through a temporary file): header and tokens. */
int kld_file_create(const char *path, struct kld_file *kf, uint32_t n_ctx, int32_t n_vocab,
                    int32_t n_chunk, int32_t k, const int32_t *tokens, char *err);
int kld_file_write_row(struct kld_file *kf, char *err);
/* Flush, sync and rename into place; -1 with err (the temporary file is removed). */
int kld_file_commit(struct kld_file *kf, char *err);
/* Close; an uncommitted file being written is removed. */
void kld_file_close(struct kld_file *kf);
#endif
