/* Importance matrices as llama.cpp's llama-imatrix writes them and llama-quantize reads
 * them, without llama.cpp: its GGUF format (general.type "imatrix"; per weight tensor W
 * the tensors "W.in_sum2" [ne0, n_mat] and "W.counts" [1, n_mat], F32; keys
 * imatrix.datasets, imatrix.chunk_count, imatrix.chunk_size) and the legacy binary one
 * (int32 n_entries; per entry int32 name length, name, int32 ncall, int32 nval, nval
 * floats already averaged and multiplied by ncall; then optionally int32 chunk count,
 * int32 length and the dataset name). Every length and count read is checked against
 * the bytes left first. */
#ifndef QB_IMATRIX_H
#define QB_IMATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf.h"

struct imatrix_entry {
    char *name;      /* the weight tensor, e.g. "blk.0.attn_q.weight" */
    float *sums;     /* n_sums: sum over tokens of the squared input column, per matrix */
    int64_t n_sums;  /* ne0 * n_counts */
    int64_t *counts; /* n_counts: tokens seen per matrix (one for dense, one per expert) */
    int n_counts;
};

struct imatrix {
    struct imatrix_entry *e;
    size_t n, cap;
    char **datasets; /* n_datasets names of the texts it was computed on */
    size_t n_datasets;
    int32_t chunk_count, chunk_size;
    bool legacy; /* read from the legacy format (sums hold ncall times the average) */
};

/* Read either format (GGUF when the magic says so); 0 ok, -1 with err naming the file
 * and the problem. */
int imatrix_read_mem(const void *data, size_t size, const char *name, struct imatrix *im,
                     char *err);
int imatrix_read_file(const char *path, struct imatrix *im, char *err);
void imatrix_free(struct imatrix *im); /* accepts a zeroed struct */

/* The entry named name, created with n_counts matrices of ne0 values when absent;
 * NULL when it exists with another shape. */
struct imatrix_entry *imatrix_entry_get(struct imatrix *im, const char *name, int64_t ne0,
                                        int n_counts);

/* The values llama-quantize hands its quantizer for entry e (n_sums floats, the caller
 * frees): per matrix sums / count (1 where the count is 0); legacy: sums / ncall. */
float *imatrix_values(const struct imatrix *im, const struct imatrix_entry *e);

/* Whether im fits the model f: every entry a tensor of f whose rows are ne0 long and that
 * has n_counts matrices. 0 ok, -1 with err naming the first entry that does not. */
int imatrix_check_model(const struct imatrix *im, const struct gf_file *f, char *err);

/* Write llama-imatrix's GGUF format (entries in name order), atomically. */
int imatrix_write(const struct imatrix *im, const char *path, char *err);

#endif
