/* Importance matrix files (see imatrix.h). */
#include "imatrix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

#define GGML_F32 0

void imatrix_free(struct imatrix *im)
{
    for (size_t i = 0; i < im->n; i++) {
        free(im->e[i].name);
        free(im->e[i].sums);
        free(im->e[i].counts);
    }
    free(im->e);
    for (size_t i = 0; i < im->n_datasets; i++)
        free(im->datasets[i]);
    free(im->datasets);
    memset(im, 0, sizeof(*im));
}

static struct imatrix_entry *find(const struct imatrix *im, const char *name)
{
    for (size_t i = 0; i < im->n; i++)
        if (strcmp(im->e[i].name, name) == 0)
            return &im->e[i];
    return NULL;
}

struct imatrix_entry *imatrix_entry_get(struct imatrix *im, const char *name, int64_t ne0,
                                        int n_counts)
{
    struct imatrix_entry *e = find(im, name);
    if (e)
        return e->n_counts == n_counts && e->n_sums == ne0 * n_counts ? e : NULL;
    if (im->n == im->cap) {
        im->cap = im->cap ? 2 * im->cap : 64;
        im->e = xrealloc(im->e, im->cap * sizeof(*im->e));
    }
    e = &im->e[im->n++];
    e->name = xstrdup(name);
    e->n_sums = ne0 * n_counts;
    e->sums = xcalloc((size_t)e->n_sums, sizeof(float));
    e->n_counts = n_counts;
    e->counts = xcalloc((size_t)n_counts, sizeof(int64_t));
    return e;
}

static void add_dataset(struct imatrix *im, const char *s, size_t len)
{
    im->datasets = xrealloc(im->datasets, (im->n_datasets + 1) * sizeof(char *));
    im->datasets[im->n_datasets++] = xstrndup(s, len);
}

/* ---- legacy format ---- */
struct rd {
    const uint8_t *p;
    size_t left;
};

static int rd_i32(struct rd *r, int32_t *v)
{
    if (r->left < 4)
        return -1;
    memcpy(v, r->p, 4);
    r->p += 4;
    r->left -= 4;
    return 0;
}

static int not_imatrix(const char *name, char *err)
{
    return set_err(err,
                   "'%s' is not an importance matrix (neither GGUF nor llama-imatrix's legacy "
                   "format)",
                   name);
}

static int read_legacy(const void *data, size_t size, const char *name, struct imatrix *im,
                       char *err)
{
    struct rd r = {data, size};
    int32_t n_entries;
    if (rd_i32(&r, &n_entries) < 0 || n_entries < 1)
        return not_imatrix(name, err);
    for (int32_t i = 0; i < n_entries; i++) {
        int32_t len, ncall, nval;
        if (rd_i32(&r, &len) < 0 || len < 1 || (size_t)len > r.left || len > 4096)
            return i == 0 ? not_imatrix(name, err)
                          : set_err(err, "'%s' is truncated or corrupt: entry %d has no valid name",
                                    name, i + 1);
        char *nm = xstrndup((const char *)r.p, (size_t)len);
        r.p += len;
        r.left -= (size_t)len;
        if (i == 0 && (strlen(nm) != (size_t)len || strncmp(nm, "blk.", 4) != 0) &&
            strcmp(nm, "output.weight") != 0) {
            free(nm);
            return not_imatrix(name, err);
        }
        if (strlen(nm) != (size_t)len || rd_i32(&r, &ncall) < 0 || rd_i32(&r, &nval) < 0 ||
            ncall < 0 || nval < 1 || (size_t)nval > r.left / 4) {
            set_err(err, "'%s' is truncated or corrupt: entry %d ('%s') has no valid values", name,
                    i + 1, nm);
            free(nm);
            return -1;
        }
        if (find(im, nm)) {
            set_err(err, "'%s' is corrupt: entry '%s' appears twice", name, nm);
            free(nm);
            return -1;
        }
        struct imatrix_entry *e = imatrix_entry_get(im, nm, nval, 1);
        free(nm);
        memcpy(e->sums, r.p, (size_t)nval * 4);
        r.p += (size_t)nval * 4;
        r.left -= (size_t)nval * 4;
        e->counts[0] = ncall;
    }
    int32_t chunks, len;
    if (r.left && rd_i32(&r, &chunks) == 0) { /* the trailing chunk count and dataset */
        im->chunk_count = chunks;
        if (rd_i32(&r, &len) == 0 && len > 0 && (size_t)len <= r.left)
            add_dataset(im, (const char *)r.p, (size_t)len);
    }
    im->legacy = true;
    return 0;
}

/* ---- GGUF format ---- */
static const struct gf_tensor *tensor_named(const struct gf_file *f, const char *name)
{
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0)
            return &f->tensors[i];
    return NULL;
}

/* an F32 tensor of ne0 columns in n_mat matrices, every dimension at least 1, n_mat at
 * most 2^20 and its bytes those of the shape (no overflow on the way) */
static bool shape_ok(const struct gf_tensor *t, int64_t *ne0, int64_t *n_mat)
{
    for (int d = 0; d < GF_MAX_DIMS; d++)
        if (t->ne[d] < 1 || t->ne[d] > (int64_t)1 << 32)
            return false;
    *ne0 = t->ne[0];
    *n_mat = t->ne[1];
    for (int d = 2; d < GF_MAX_DIMS; d++) {
        if (*n_mat > (1 << 20) / t->ne[d])
            return false;
        *n_mat *= t->ne[d];
    }
    return *n_mat <= 1 << 20 && t->n_bytes == (uint64_t)(4 * *ne0 * *n_mat);
}

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n > k && strcmp(s + n - k, suf) == 0;
}

static int read_gguf(const void *data, size_t size, const char *name, struct imatrix *im, char *err)
{
    struct gf_file *f;
    if (gf_read_mem(data, size, name, &f, err) < 0)
        return -1;
    int rc = 0;
    const char *type = gf_get_str(f, "general.type");
    if (type && strcmp(type, "imatrix") != 0)
        rc = set_err(err, "'%s' is a GGUF %s, not an importance matrix", name, type);
    else if (f->n_tensors == 0)
        rc = set_err(err, "'%s' is not an importance matrix (a GGUF without tensors)", name);
    const struct gf_kv *ds = gf_find(f, "imatrix.datasets");
    if (rc == 0 && ds && ds->val.type == GF_VT_ARRAY && ds->val.v.arr.type == GF_VT_STRING) {
        const struct gf_str *s = ds->val.v.arr.data;
        for (uint64_t i = 0; i < ds->val.v.arr.n; i++)
            add_dataset(im, s[i].s, s[i].len);
    }
    im->chunk_count = (int32_t)gf_get_int(f, "imatrix.chunk_count", 0);
    im->chunk_size = (int32_t)gf_get_int(f, "imatrix.chunk_size", 0);
    for (uint64_t i = 0; i < f->n_tensors && rc == 0; i++) {
        const struct gf_tensor *s = &f->tensors[i];
        if (!ends_with(s->name, ".in_sum2"))
            continue;
        char *w = xstrndup(s->name, strlen(s->name) - strlen(".in_sum2"));
        char *cn = xasprintf("%s.counts", w);
        const struct gf_tensor *c = tensor_named(f, cn);
        int64_t ne0 = 0, n_mat = 0, n_c = 0, one;
        if (!c)
            rc = set_err(err, "'%s' is corrupt: '%s' has no counts tensor", name, s->name);
        else if (s->type != GGML_F32 || c->type != GGML_F32)
            rc = set_err(err, "'%s' is corrupt: '%s' is not F32", name, w);
        else if (!shape_ok(s, &ne0, &n_mat) || !shape_ok(c, &one, &n_c) || one != 1)
            rc = set_err(err, "'%s' is corrupt: '%s' has an impossible shape", name, w);
        else if (n_c != n_mat)
            rc = set_err(err, "'%s' is corrupt: '%s' has %lld matrices but %lld counts", name, w,
                         (long long)n_mat, (long long)n_c);
        else if (find(im, w))
            rc = set_err(err, "'%s' is corrupt: entry '%s' appears twice", name, w);
        if (rc == 0) {
            struct imatrix_entry *e = imatrix_entry_get(im, w, ne0, (int)n_mat);
            const uint8_t *base = (const uint8_t *)data + f->data_offset;
            memcpy(e->sums, base + s->offset, (size_t)(ne0 * n_mat) * 4);
            for (int64_t j = 0; j < n_mat && rc == 0; j++) {
                float v;
                memcpy(&v, base + c->offset + 4 * j, 4);
                if (!(v >= 0 && v < 9.2e18f))
                    rc = set_err(err, "'%s' is corrupt: '%s' has a count of %g", name, w, v);
                else
                    e->counts[j] = llroundf(v);
            }
        }
        free(cn);
        free(w);
    }
    if (rc == 0 && im->n == 0)
        rc = set_err(err, "'%s' is not an importance matrix (no .in_sum2 tensors)", name);
    gf_free(f);
    return rc;
}

int imatrix_read_mem(const void *data, size_t size, const char *name, struct imatrix *im, char *err)
{
    memset(im, 0, sizeof(*im));
    int rc = size >= 4 && memcmp(data, GF_MAGIC, 4) == 0 ? read_gguf(data, size, name, im, err)
                                                         : read_legacy(data, size, name, im, err);
    if (rc < 0)
        imatrix_free(im);
    return rc;
}

int imatrix_read_file(const char *path, struct imatrix *im, char *err)
{
    size_t len;
    char *buf = read_file(path, 8ull << 30, &len, err);
    if (!buf)
        return -1;
    int rc = imatrix_read_mem(buf, len, path, im, err);
    free(buf);
    return rc;
}

float *imatrix_values(const struct imatrix *im, const struct imatrix_entry *e)
{
    float *v = xmalloc((size_t)e->n_sums * sizeof(float));
    const int64_t ne0 = e->n_sums / e->n_counts;
    for (int j = 0; j < e->n_counts; j++) {
        const float c = (float)e->counts[j];
        for (int64_t i = 0; i < ne0; i++) {
            const float s = e->sums[j * ne0 + i];
            if (im->legacy)
                v[j * ne0 + i] = e->counts[0] > 0 ? s / (float)e->counts[0] : s;
            else
                v[j * ne0 + i] = c > 0 ? s / c : 1;
        }
    }
    return v;
}

int imatrix_check_model(const struct imatrix *im, const struct gf_file *f, char *err)
{
    for (size_t i = 0; i < im->n; i++) {
        const struct imatrix_entry *e = &im->e[i];
        const struct gf_tensor *t = tensor_named(f, e->name);
        if (!t)
            return set_err(err, "the model has no tensor '%s'", e->name);
        int64_t n_mat, n_all;
        if (__builtin_mul_overflow(t->ne[2], t->ne[3], &n_mat) ||
            __builtin_mul_overflow(t->ne[0], n_mat, &n_all) || n_all != e->n_sums ||
            (e->n_counts != 1 && e->n_counts != n_mat))
            return set_err(err,
                           "'%s' has rows of %lld in %lld matrices in the model, the importance "
                           "matrix has %lld values for it",
                           e->name, (long long)t->ne[0], (long long)n_mat, (long long)e->n_sums);
    }
    return 0;
}

/* ---- writer ---- */
static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const struct imatrix_entry *)a)->name, ((const struct imatrix_entry *)b)->name);
}

struct fill {
    const struct imatrix_entry *e; /* sorted */
};

static int fill_tensor(void *ud, size_t index, void *buf, uint64_t n_bytes)
{
    const struct imatrix_entry *e = &((struct fill *)ud)->e[index / 2];
    if (index % 2 == 0) {
        memcpy(buf, e->sums, n_bytes);
    } else {
        float *c = buf;
        for (int j = 0; j < e->n_counts; j++)
            c[j] = (float)e->counts[j];
    }
    return 0;
}

int imatrix_write(const struct imatrix *im, const char *path, char *err)
{
    struct imatrix_entry *s = xcalloc(im->n ? im->n : 1, sizeof(*s));
    memcpy(s, im->e, im->n * sizeof(*s));
    qsort(s, im->n, sizeof(*s), cmp_name);
    struct gf_writer *w = gf_writer_new();
    gf_writer_set_str(w, "general.type", "imatrix");
    struct gf_str *ds = xcalloc(im->n_datasets ? im->n_datasets : 1, sizeof(*ds));
    for (size_t i = 0; i < im->n_datasets; i++)
        ds[i] = (struct gf_str){strlen(im->datasets[i]), im->datasets[i]};
    struct gf_value v = {.type = GF_VT_ARRAY};
    v.v.arr.type = GF_VT_STRING;
    v.v.arr.n = im->n_datasets;
    v.v.arr.data = ds;
    gf_writer_set(w, "imatrix.datasets", &v);
    gf_writer_set_u32(w, "imatrix.chunk_count", (uint32_t)im->chunk_count);
    gf_writer_set_u32(w, "imatrix.chunk_size", (uint32_t)im->chunk_size);
    for (size_t i = 0; i < im->n; i++) {
        char *n1 = xasprintf("%s.in_sum2", s[i].name), *n2 = xasprintf("%s.counts", s[i].name);
        /* [ne0, n_mat] and [1, n_mat], as ggml counts dimensions: trailing 1s dropped */
        int64_t ne[2] = {s[i].n_sums / s[i].n_counts, s[i].n_counts};
        const uint32_t nd = s[i].n_counts > 1 ? 2 : 1;
        gf_writer_add_tensor(w, n1, GGML_F32, ne, nd);
        ne[0] = 1;
        gf_writer_add_tensor(w, n2, GGML_F32, ne, nd);
        free(n1);
        free(n2);
    }
    struct fill fl = {s};
    int rc = gf_writer_write(w, path, fill_tensor, &fl, err);
    gf_writer_free(w);
    free(ds);
    free(s);
    return rc;
}
