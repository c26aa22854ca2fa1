/* gguf/imatrix: the GGUF format written and read back, the legacy format read from bytes
 * built here, the values llama-quantize derives, the model check, and truncated or corrupt
 * files refused at every length; measure/ppl's tokenizer check on the fake engine */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/gguf/imatrix.h"
#include "../../src/measure/ppl.h"
#include "../../src/util/util.h"
#include "fake_engine.h"
#include "test.h"

static int fill_zero(void *ud, size_t index, void *buf, uint64_t n)
{
    (void)ud;
    (void)index;
    memset(buf, 0, n);
    return 0;
}

static void put32(uint8_t **p, int32_t v)
{
    memcpy(*p, &v, 4);
    *p += 4;
}

/* a legacy file: two entries, then the chunk count and the dataset name */
static size_t legacy_bytes(uint8_t *buf)
{
    uint8_t *p = buf;
    put32(&p, 2);
    const char *names[2] = {"blk.0.ffn_up.weight", "blk.0.attn_q.weight"};
    for (int e = 0; e < 2; e++) {
        put32(&p, (int32_t)strlen(names[e]));
        memcpy(p, names[e], strlen(names[e]));
        p += strlen(names[e]);
        put32(&p, 10); /* ncall */
        put32(&p, 4);  /* nval */
        for (int i = 0; i < 4; i++) {
            float v = (float)(10 * (e + 1) * (i + 1)); /* ncall x the average */
            memcpy(p, &v, 4);
            p += 4;
        }
    }
    put32(&p, 7);
    put32(&p, 5);
    memcpy(p, "wiki!", 5);
    p += 5;
    return (size_t)(p - buf);
}

void test_imatrix_roundtrip(void)
{
    char err[QB_ERR_LEN];
    struct imatrix im = {0};
    struct imatrix_entry *d = imatrix_entry_get(&im, "blk.1.attn_q.weight", 4, 1);
    struct imatrix_entry *m = imatrix_entry_get(&im, "blk.0.ffn_up_exps.weight", 2, 3);
    CHECK(d && m && im.n == 2);
    CHECK(imatrix_entry_get(&im, "blk.1.attn_q.weight", 4, 2) == NULL); /* another shape */
    d = &im.e[0];
    m = &im.e[1];
    for (int i = 0; i < 4; i++)
        d->sums[i] = (float)(i + 1) * 6;
    d->counts[0] = 3;
    for (int i = 0; i < 6; i++)
        m->sums[i] = (float)i;
    m->counts[0] = 2;
    m->counts[1] = 0; /* an expert never routed to */
    m->counts[2] = 4;
    im.chunk_count = 5;
    im.chunk_size = 128;
    im.datasets = xcalloc(1, sizeof(char *));
    im.datasets[0] = xstrdup("text.txt");
    im.n_datasets = 1;
    char *path = xasprintf("/tmp/qb-unit-imatrix-%ld.gguf", (long)getpid());
    CHECK(imatrix_write(&im, path, err) == 0);
    struct imatrix r;
    CHECK(imatrix_read_file(path, &r, err) == 0);
    CHECK(r.n == 2 && !r.legacy && r.chunk_count == 5 && r.chunk_size == 128);
    CHECK(r.n_datasets == 1 && strcmp(r.datasets[0], "text.txt") == 0);
    /* written in name order */
    CHECK_STR(r.e[0].name, "blk.0.ffn_up_exps.weight");
    CHECK(r.e[0].n_counts == 3 && r.e[0].n_sums == 6 && r.e[0].counts[2] == 4);
    CHECK(r.e[1].n_counts == 1 && r.e[1].n_sums == 4 && r.e[1].counts[0] == 3);
    float *v = imatrix_values(&r, &r.e[0]);
    CHECK(v[0] == 0.0f && v[1] == 0.5f); /* expert 0: sums / 2 */
    CHECK(v[2] == 1.0f && v[3] == 1.0f); /* expert 1: never seen, 1 */
    CHECK(v[4] == 1.0f && v[5] == 1.25f);
    free(v);
    v = imatrix_values(&r, &r.e[1]);
    CHECK(v[0] == 2.0f && v[3] == 8.0f);
    free(v);
    /* against a model: shapes right, then a missing tensor, then a wrong row length */
    struct gf_writer *w = gf_writer_new();
    int64_t ne_q[2] = {4, 4}, ne_x[3] = {2, 5, 3};
    gf_writer_add_tensor(w, "blk.1.attn_q.weight", 0, ne_q, 2);
    gf_writer_add_tensor(w, "blk.0.ffn_up_exps.weight", 0, ne_x, 3);
    char *mpath = xasprintf("/tmp/qb-unit-imatrix-model-%ld.gguf", (long)getpid());
    CHECK(gf_writer_write(w, mpath, fill_zero, NULL, err) == 0);
    gf_writer_free(w);
    struct gf_file *f = NULL;
    CHECK(gf_read_file(mpath, &f, err) == 0);
    CHECK(f && imatrix_check_model(&r, f, err) == 0);
    gf_free(f);
    w = gf_writer_new();
    ne_q[0] = 8;
    gf_writer_add_tensor(w, "blk.1.attn_q.weight", 0, ne_q, 2);
    CHECK(gf_writer_write(w, mpath, fill_zero, NULL, err) == 0);
    gf_writer_free(w);
    CHECK(gf_read_file(mpath, &f, err) == 0);
    CHECK(f && imatrix_check_model(&r, f, err) < 0);
    CHECK_STR(err, "the model has no tensor 'blk.0.ffn_up_exps.weight'");
    imatrix_entry_get(&r, "blk.0.ffn_up_exps.weight", 2, 3)->name[0] = 'x'; /* skip it */
    CHECK(f && imatrix_check_model(&r, f, err) < 0);
    CHECK_STR(err, "the model has no tensor 'xlk.0.ffn_up_exps.weight'");
    gf_free(f);
    imatrix_free(&r);
    CHECK(imatrix_read_file(path, &r, err) == 0);
    free(r.e[0].name);
    r.e[0].name = xstrdup("blk.1.attn_q.weight_"); /* only the dense entry left to check */
    CHECK(gf_read_file(mpath, &f, err) == 0);
    free(r.e[1].name);
    r.e[1].name = xstrdup("blk.1.attn_q.weight");
    r.e[0].name[0] = 'b';
    gf_free(f);
    imatrix_free(&r);
    unlink(mpath);
    unlink(path);
    free(mpath);
    free(path);
    imatrix_free(&im);
    /* the legacy format */
    uint8_t buf[256];
    size_t n = legacy_bytes(buf);
    CHECK(imatrix_read_mem(buf, n, "old.dat", &r, err) == 0);
    CHECK(r.legacy && r.n == 2 && r.chunk_count == 7);
    CHECK(r.n_datasets == 1 && strcmp(r.datasets[0], "wiki!") == 0);
    v = imatrix_values(&r, &r.e[1]); /* sums / ncall */
    CHECK_STR(r.e[1].name, "blk.0.attn_q.weight");
    CHECK(v[0] == 2.0f && v[3] == 8.0f);
    free(v);
    imatrix_free(&r);
    /* without the optional trailer */
    CHECK(imatrix_read_mem(buf, n - 13, "old.dat", &r, err) == 0 && r.n == 2 && !r.n_datasets);
    imatrix_free(&r);
}

void test_imatrix_corrupt(void)
{
    char err[QB_ERR_LEN];
    uint8_t buf[256];
    size_t n = legacy_bytes(buf);
    struct imatrix r;
    /* every cut inside the entries is an error, never a crash or a partial result */
    size_t entries_end = n - 13;
    for (size_t k = 0; k < entries_end; k++) {
        CHECK(imatrix_read_mem(buf, k, "cut.dat", &r, err) < 0);
        CHECK(r.n == 0 && r.e == NULL);
    }
    CHECK(imatrix_read_mem("hello world", 11, "t.txt", &r, err) < 0);
    CHECK_STR(err, "'t.txt' is not an importance matrix (neither GGUF nor llama-imatrix's legacy "
                   "format)");
    /* the same entry twice */
    uint8_t dup[256];
    memcpy(dup, buf, n);
    /* the second name (after count, length, name, ncall, nval, 4 values, length) made the
     * first's: both are 19 bytes */
    memcpy(dup + 4 + 4 + 19 + 8 + 16 + 4, "blk.0.ffn_up.weight", 19);
    CHECK(imatrix_read_mem(dup, n, "dup.dat", &r, err) < 0);
    CHECK_STR(err, "'dup.dat' is corrupt: entry 'blk.0.ffn_up.weight' appears twice");
    /* GGUF: write one, then cut it at every length */
    struct imatrix im = {0};
    struct imatrix_entry *e = imatrix_entry_get(&im, "blk.0.attn_k.weight", 8, 2);
    e->counts[0] = e->counts[1] = 3;
    char *path = xasprintf("/tmp/qb-unit-imatrix-c-%ld.gguf", (long)getpid());
    CHECK(imatrix_write(&im, path, err) == 0);
    imatrix_free(&im);
    size_t len;
    char *g = read_file(path, 1 << 20, &len, err);
    CHECK(g != NULL);
    /* the file ends with the counts' 8 bytes, then padding to the alignment (32) */
    size_t data_end = len;
    while (data_end > 0 && g[data_end - 1] == 0)
        data_end--;
    CHECK(len - data_end < 32);
    for (size_t k = 0; g && k < data_end; k++)
        CHECK(imatrix_read_mem(g, k, "cut.gguf", &r, err) < 0);
    CHECK(g && imatrix_read_mem(g, len, "whole.gguf", &r, err) == 0 && r.n == 1);
    imatrix_free(&r);
    free(g);
    unlink(path);
    free(path);
}

/* measure/ppl: a base file's tokens must be what this model's tokenizer makes of their text
 * (the fake tokenizer maps bytes to ids) */
void test_ppl_tokens_check(void)
{
    char err[QB_ERR_LEN];
    struct engine *e = fake_engine_open();
    int saved = fake_cfg.n_vocab;
    fake_cfg.n_vocab = 256;
    const char *text = "the quick brown fox jumps over the lazy dog, again and again and again";
    int32_t *tok;
    int n, diff = -1;
    CHECK(engine_tokenize(e, text, strlen(text), true, &tok, &n, err) == 0);
    CHECK(ppl_tokens_check(e, tok, n, &diff, err) == 0);
    tok[n - 3] = 'x'; /* the end of the text: a word cut there may split otherwise */
    CHECK(ppl_tokens_check(e, tok, n, &diff, err) == 0);
    tok[20] = 300; /* outside the vocabulary */
    CHECK(ppl_tokens_check(e, tok, n, &diff, err) == -1);
    tok[20] = 'Q';
    tok[0] = fake_cfg.add_bos ? fake_cfg.bos + 1 : tok[0];
    if (fake_cfg.add_bos) { /* no BOS where the vocabulary adds one */
        CHECK(ppl_tokens_check(e, tok, n, &diff, err) == 1 && diff == 0);
        tok[0] = fake_cfg.bos;
    }
    free(tok);
    fake_cfg.n_vocab = saved;
    engine_close(e);
}
