/* GGUF reader and writer (see gguf.h). The reader works on a byte source that
 * knows how many bytes are left, and checks every count against that before it
 * allocates; tensor data is never read, only located. */
#include "gguf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/sig.h"
#include "../util/util.h"

/* ------------------------------------------------------------------ reader */

struct src {
    FILE *fp;           /* file source, or NULL */
    const uint8_t *mem; /* memory source */
    uint64_t pos;       /* bytes consumed */
    uint64_t size;      /* total bytes available */
    const char *name;   /* for messages */
    char *err;
    uint64_t real_size; /* the whole file's bytes (>= size: a header-only read of its start) */
    bool header_only;   /* tensor data may lie past the end (mem's plans) */
    uint64_t need;      /* > 0: a read ran past size < real_size; bytes from the start wanted */
};

/* A bounds failure at s->pos wanting n more bytes: when the source is a cut start of a
 * longer file, note the bytes wanted (the parse then asks for more, GF_NEED_MORE) */
static void src_short(struct src *s, uint64_t n)
{
    if (s->real_size > s->size) {
        uint64_t want = n > s->real_size - s->pos ? s->real_size : s->pos + n;
        if (want > s->need)
            s->need = want;
    }
}

static int src_read(struct src *s, void *dst, uint64_t n, const char *what)
{
    if (n > s->size - s->pos) {
        src_short(s, n);
        return set_err(s->err,
                       "'%s': truncated GGUF: %s at offset %llu runs past the end of "
                       "the file (%llu bytes)",
                       s->name, what, (unsigned long long)s->pos, (unsigned long long)s->size);
    }
    if (s->fp) {
        if (n && fread(dst, 1, (size_t)n, s->fp) != n)
            return set_err(s->err, "'%s': read error at offset %llu", s->name,
                           (unsigned long long)s->pos);
    } else if (n) {
        memcpy(dst, s->mem + s->pos, (size_t)n);
    }
    s->pos += n;
    return 0;
}

static uint64_t src_left(const struct src *s)
{
    return s->size - s->pos;
}

/* Integers in GGUF are little-endian; this program only targets LE hosts. */
static int rd_u32(struct src *s, uint32_t *v, const char *what)
{
    return src_read(s, v, 4, what);
}

static int rd_u64(struct src *s, uint64_t *v, const char *what)
{
    return src_read(s, v, 8, what);
}

static int rd_str(struct src *s, struct gf_str *out, const char *what)
{
    uint64_t len;
    if (rd_u64(s, &len, what) < 0)
        return -1;
    if (len > src_left(s)) {
        src_short(s, len);
        return set_err(s->err, "'%s': corrupt GGUF: %s claims %llu bytes, only %llu left", s->name,
                       what, (unsigned long long)len, (unsigned long long)src_left(s));
    }
    out->s = xmalloc((size_t)len + 1);
    out->len = len;
    if (src_read(s, out->s, len, what) < 0) {
        free(out->s);
        out->s = NULL;
        return -1;
    }
    out->s[len] = '\0';
    return 0;
}

static size_t vtype_size(enum gf_vtype t)
{
    switch (t) {
    case GF_VT_UINT8:
    case GF_VT_INT8:
    case GF_VT_BOOL: return 1;
    case GF_VT_UINT16:
    case GF_VT_INT16: return 2;
    case GF_VT_UINT32:
    case GF_VT_INT32:
    case GF_VT_FLOAT32: return 4;
    case GF_VT_UINT64:
    case GF_VT_INT64:
    case GF_VT_FLOAT64: return 8;
    default: return 0;
    }
}

const char *gf_vtype_name(enum gf_vtype t)
{
    static const char *names[] = {"u8",   "i8",  "u16",   "i16", "u32", "i32", "f32",
                                  "bool", "str", "array", "u64", "i64", "f64"};
    return (unsigned)t < GF_VT_COUNT ? names[t] : "?";
}

static void value_release(struct gf_value *v)
{
    if (v->type == GF_VT_STRING) {
        free(v->v.str.s);
    } else if (v->type == GF_VT_ARRAY) {
        if (v->v.arr.type == GF_VT_STRING && v->v.arr.data) {
            struct gf_str *ss = v->v.arr.data;
            for (uint64_t i = 0; i < v->v.arr.n; i++)
                free(ss[i].s);
        }
        free(v->v.arr.data);
    }
    memset(v, 0, sizeof(*v));
}

static void scalar_decode(struct gf_value *v, const uint8_t *b)
{
    switch (v->type) {
    case GF_VT_UINT8: v->v.u = b[0]; break;
    case GF_VT_BOOL: v->v.u = b[0] != 0; break;
    case GF_VT_INT8: v->v.i = (int8_t)b[0]; break;
    case GF_VT_UINT16: {
        uint16_t x;
        memcpy(&x, b, 2);
        v->v.u = x;
        break;
    }
    case GF_VT_INT16: {
        int16_t x;
        memcpy(&x, b, 2);
        v->v.i = x;
        break;
    }
    case GF_VT_UINT32: {
        uint32_t x;
        memcpy(&x, b, 4);
        v->v.u = x;
        break;
    }
    case GF_VT_INT32: {
        int32_t x;
        memcpy(&x, b, 4);
        v->v.i = x;
        break;
    }
    case GF_VT_FLOAT32: {
        float x;
        memcpy(&x, b, 4);
        v->v.f = x;
        break;
    }
    case GF_VT_UINT64: {
        uint64_t x;
        memcpy(&x, b, 8);
        v->v.u = x;
        break;
    }
    case GF_VT_INT64: {
        int64_t x;
        memcpy(&x, b, 8);
        v->v.i = x;
        break;
    }
    case GF_VT_FLOAT64: {
        double x;
        memcpy(&x, b, 8);
        v->v.f = x;
        break;
    }
    default: break;
    }
}

static int rd_value(struct src *s, enum gf_vtype type, struct gf_value *v, const char *key)
{
    memset(v, 0, sizeof(*v));
    v->type = type;
    if (type == GF_VT_STRING)
        return rd_str(s, &v->v.str, "string value");
    if (type == GF_VT_ARRAY) {
        uint32_t et;
        uint64_t n;
        if (rd_u32(s, &et, "array type") < 0 || rd_u64(s, &n, "array length") < 0)
            return -1;
        if (et >= GF_VT_COUNT || et == GF_VT_ARRAY)
            return set_err(s->err, "'%s': corrupt GGUF: key '%s' has array element type %u",
                           s->name, key, et);
        v->v.arr.type = (enum gf_vtype)et;
        size_t es = et == GF_VT_STRING ? 8 : vtype_size((enum gf_vtype)et);
        if (n > src_left(s) / es) {
            src_short(s, n * es > n ? n * es : UINT64_MAX);
            return set_err(s->err,
                           "'%s': corrupt GGUF: key '%s' claims %llu array elements, "
                           "more than the %llu bytes left can hold",
                           s->name, key, (unsigned long long)n, (unsigned long long)src_left(s));
        }
        v->v.arr.n = n;
        if (et == GF_VT_STRING) {
            struct gf_str *ss = xcalloc((size_t)n, sizeof(*ss));
            v->v.arr.data = ss;
            for (uint64_t i = 0; i < n; i++)
                if (rd_str(s, &ss[i], "array string") < 0)
                    return -1;
        } else {
            v->v.arr.data = xmalloc((size_t)(n * es));
            if (src_read(s, v->v.arr.data, n * es, "array data") < 0)
                return -1;
        }
        return 0;
    }
    size_t sz = vtype_size(type);
    if (!sz)
        return set_err(s->err, "'%s': corrupt GGUF: key '%s' has value type %u", s->name, key,
                       (unsigned)type);
    uint8_t b[8];
    if (src_read(s, b, sz, "value") < 0)
        return -1;
    scalar_decode(v, b);
    return 0;
}

void gf_free(struct gf_file *f)
{
    if (!f)
        return;
    if (f->kv) {
        for (uint64_t i = 0; i < f->n_kv; i++) {
            free(f->kv[i].key);
            value_release(&f->kv[i].val);
        }
        free(f->kv);
    }
    if (f->tensors) {
        for (uint64_t i = 0; i < f->n_tensors; i++)
            free(f->tensors[i].name);
        free(f->tensors);
    }
    free(f);
}

/* ---- names that must not repeat (llama.cpp refuses a file with a duplicate key or
 * tensor name, so do we): sorted, O(n log n), as a hostile file may hold millions */
struct name_ref {
    const char *s;
    uint64_t len; /* bytes compared (a key's whole length, NULs included, as llama.cpp) */
    uint64_t idx; /* position in the file */
};

static int name_cmp(const void *a, const void *b)
{
    const struct name_ref *x = a, *y = b;
    int c = memcmp(x->s, y->s, (size_t)(x->len < y->len ? x->len : y->len));
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The first name in file order that repeats an earlier one (its struct name_ref), or
 * NULL; sorts r */
static const struct name_ref *first_duplicate(struct name_ref *r, uint64_t n)
{
    const struct name_ref *best = NULL;
    if (n < 2)
        return NULL;
    qsort(r, (size_t)n, sizeof(*r), name_cmp);
    for (uint64_t i = 1; i < n; i++)
        if (r[i].len == r[i - 1].len && memcmp(r[i].s, r[i - 1].s, (size_t)r[i].len) == 0 &&
            (!best || r[i].idx < best->idx))
            best = &r[i];
    return best;
}

/* the smallest encodings, used to bound counts before allocating */
#define MIN_KV_BYTES     (8 + 0 + 4 + 1)
#define MIN_TENSOR_BYTES (8 + 0 + 4 + 8 + 4 + 8)

static int parse(struct src *s, struct gf_file **out)
{
    struct gf_file *f = xcalloc(1, sizeof(*f));
    char magic[4];
    uint64_t n_kv, n_tensors;
    struct name_ref *names = NULL;
    const struct name_ref *dup;
    int ret = -1;
    f->file_size = s->real_size > s->size ? s->real_size : s->size;

    if (s->size == 0) {
        set_err(s->err, "'%s': empty file, not a GGUF model", s->name);
        ret = GF_NOT_GGUF;
        goto fail;
    }
    if (s->size < 4 && s->real_size >= 4) { /* a cut start too short for the magic */
        src_short(s, 4);
        set_err(s->err, "'%s': truncated GGUF: %llu bytes", s->name, (unsigned long long)s->size);
        goto fail;
    }
    if (s->size < 4 || src_read(s, magic, 4, "magic") < 0 || memcmp(magic, GF_MAGIC, 4) != 0) {
        set_err(s->err, "'%s': not a GGUF file (bad magic)", s->name);
        ret = GF_NOT_GGUF;
        goto fail;
    }
    if (rd_u32(s, &f->version, "version") < 0)
        goto fail;
    if (f->version < 2 || f->version > 3) {
        set_err(s->err, "'%s': unsupported GGUF version %u", s->name, f->version);
        goto fail;
    }
    if (rd_u64(s, &n_tensors, "tensor count") < 0 || rd_u64(s, &n_kv, "key/value count") < 0)
        goto fail;
    if (n_kv > src_left(s) / MIN_KV_BYTES) {
        src_short(s, n_kv > UINT64_MAX / MIN_KV_BYTES ? UINT64_MAX : n_kv * MIN_KV_BYTES);
        set_err(s->err,
                "'%s': truncated or corrupt GGUF: header claims %llu key/value pairs, "
                "more than the %llu bytes that follow can hold",
                s->name, (unsigned long long)n_kv, (unsigned long long)src_left(s));
        goto fail;
    }
    if (n_tensors > src_left(s) / MIN_TENSOR_BYTES) {
        src_short(s, n_tensors > UINT64_MAX / MIN_TENSOR_BYTES ? UINT64_MAX
                                                               : n_tensors * MIN_TENSOR_BYTES);
        set_err(s->err,
                "'%s': truncated or corrupt GGUF: header claims %llu tensors, more "
                "than the %llu bytes that follow can hold",
                s->name, (unsigned long long)n_tensors, (unsigned long long)src_left(s));
        goto fail;
    }
    f->kv = xcalloc((size_t)n_kv, sizeof(*f->kv));
    names = xcalloc((size_t)(n_kv > n_tensors ? n_kv : n_tensors), sizeof(*names));
    for (uint64_t i = 0; i < n_kv; i++) {
        struct gf_str key;
        uint32_t type;
        if (rd_str(s, &key, "key") < 0)
            goto fail;
        f->kv[i].key = key.s;
        f->n_kv = i + 1;
        names[i] = (struct name_ref){key.s, key.len, i};
        if (rd_u32(s, &type, "value type") < 0)
            goto fail;
        if (type >= GF_VT_COUNT) {
            set_err(s->err, "'%s': corrupt GGUF: key '%s' has unknown value type %u", s->name,
                    key.s, type);
            goto fail;
        }
        if (rd_value(s, (enum gf_vtype)type, &f->kv[i].val, key.s) < 0)
            goto fail;
    }
    if ((dup = first_duplicate(names, f->n_kv)) != NULL) {
        set_err(s->err, "'%s': corrupt GGUF: duplicate key '%s'", s->name, dup->s);
        goto fail;
    }
    f->alignment = GF_DEFAULT_ALIGNMENT;
    const struct gf_kv *al = gf_find(f, "general.alignment");
    if (al) {
        if (al->val.type != GF_VT_UINT32 || al->val.v.u == 0 || (al->val.v.u & (al->val.v.u - 1))) {
            set_err(s->err, "'%s': corrupt GGUF: general.alignment is not a power of two", s->name);
            goto fail;
        }
        f->alignment = al->val.v.u;
    }
    f->tensors = xcalloc((size_t)n_tensors, sizeof(*f->tensors));
    for (uint64_t i = 0; i < n_tensors; i++) {
        struct gf_tensor *t = &f->tensors[i];
        struct gf_str name;
        if (rd_str(s, &name, "tensor name") < 0)
            goto fail;
        t->name = name.s;
        f->n_tensors = i + 1;
        names[i] = (struct name_ref){name.s, strlen(name.s), i}; /* compared as C strings */
        if (rd_u32(s, &t->n_dims, "tensor dims") < 0)
            goto fail;
        if (t->n_dims == 0 || t->n_dims > GF_MAX_DIMS) {
            set_err(s->err, "'%s': corrupt GGUF: tensor '%s' has %u dimensions", s->name, t->name,
                    t->n_dims);
            goto fail;
        }
        for (int d = 0; d < GF_MAX_DIMS; d++)
            t->ne[d] = 1;
        for (uint32_t d = 0; d < t->n_dims; d++)
            if (src_read(s, &t->ne[d], 8, "tensor shape") < 0)
                goto fail;
        if (rd_u32(s, &t->type, "tensor type") < 0 || rd_u64(s, &t->offset, "tensor offset") < 0)
            goto fail;
        if (!ggml_type_info(t->type)) {
            set_err(s->err, "'%s': corrupt GGUF: tensor '%s' has unknown type %u", s->name, t->name,
                    t->type);
            goto fail;
        }
        t->n_bytes = ggml_tensor_nbytes(t->type, t->ne, t->n_dims);
        if (t->n_bytes == UINT64_MAX) {
            set_err(s->err, "'%s': corrupt GGUF: tensor '%s' has an invalid shape for type %s",
                    s->name, t->name, ggml_type_info(t->type)->name);
            goto fail;
        }
        if (t->offset % f->alignment) {
            set_err(s->err, "'%s': corrupt GGUF: tensor '%s' offset is not aligned", s->name,
                    t->name);
            goto fail;
        }
    }
    if ((dup = first_duplicate(names, f->n_tensors)) != NULL) {
        set_err(s->err, "'%s': corrupt GGUF: duplicate tensor name '%s'", s->name, dup->s);
        goto fail;
    }
    f->data_offset = (s->pos + f->alignment - 1) / f->alignment * f->alignment;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const struct gf_tensor *t = &f->tensors[i];
        uint64_t avail = f->file_size > f->data_offset ? f->file_size - f->data_offset : 0;
        if (t->offset > avail || t->n_bytes > avail - t->offset) {
            if (s->header_only) { /* the plan needs the directory, not the data */
                f->data_absent = true;
                continue;
            }
            set_err(s->err,
                    "'%s': truncated GGUF: tensor '%s' data ends at byte %llu, the file "
                    "has %llu",
                    s->name, t->name, (unsigned long long)(f->data_offset + t->offset + t->n_bytes),
                    (unsigned long long)f->file_size);
            goto fail;
        }
    }
    free(names);
    *out = f;
    return 0;
fail:
    free(names);
    gf_free(f);
    return s->need && ret == -1 ? GF_NEED_MORE : ret;
}

int gf_read_file(const char *path, struct gf_file **out, char *err)
{
    struct stat st;
    FILE *fp = fopen_regular(path, err); /* a FIFO or a device would block */
    if (!fp)
        return -1;
    if (fstat(fileno(fp), &st) < 0) {
        fclose(fp);
        return set_err(err, "cannot read '%s': %s", path, strerror(errno));
    }
    struct src s = {.fp = fp, .size = (uint64_t)st.st_size, .name = path, .err = err};
    int ret = parse(&s, out);
    fclose(fp);
    return ret;
}

int gf_read_mem(const void *data, size_t size, const char *name, struct gf_file **out, char *err)
{
    struct src s = {.mem = data, .size = size, .name = name, .err = err};
    return parse(&s, out);
}

int gf_read_header_file(const char *path, struct gf_file **out, char *err)
{
    struct stat st;
    FILE *fp = fopen_regular(path, err);
    if (!fp)
        return -1;
    if (fstat(fileno(fp), &st) < 0) {
        fclose(fp);
        return set_err(err, "cannot read '%s': %s", path, strerror(errno));
    }
    struct src s = {
        .fp = fp, .size = (uint64_t)st.st_size, .name = path, .err = err, .header_only = true};
    int ret = parse(&s, out);
    fclose(fp);
    return ret;
}

int gf_read_header_mem(const void *data, size_t size, uint64_t file_size, const char *name,
                       struct gf_file **out, uint64_t *need, char *err)
{
    struct src s = {.mem = data,
                    .size = size,
                    .name = name,
                    .err = err,
                    .real_size = file_size,
                    .header_only = true};
    int ret = parse(&s, out);
    *need = ret == GF_NEED_MORE ? s.need : 0;
    return ret;
}

const struct gf_kv *gf_find(const struct gf_file *f, const char *key)
{
    for (uint64_t i = 0; i < f->n_kv; i++)
        if (f->kv[i].key && strcmp(f->kv[i].key, key) == 0)
            return &f->kv[i];
    return NULL;
}

int64_t gf_get_int(const struct gf_file *f, const char *key, int64_t def)
{
    const struct gf_kv *kv = gf_find(f, key);
    if (!kv)
        return def;
    switch (kv->val.type) {
    case GF_VT_UINT8:
    case GF_VT_UINT16:
    case GF_VT_UINT32:
    case GF_VT_UINT64:
    case GF_VT_BOOL: return kv->val.v.u > INT64_MAX ? def : (int64_t)kv->val.v.u;
    case GF_VT_INT8:
    case GF_VT_INT16:
    case GF_VT_INT32:
    case GF_VT_INT64: return kv->val.v.i;
    default: return def;
    }
}

double gf_get_float(const struct gf_file *f, const char *key, double def)
{
    const struct gf_kv *kv = gf_find(f, key);
    if (!kv)
        return def;
    if (kv->val.type == GF_VT_FLOAT32 || kv->val.type == GF_VT_FLOAT64)
        return kv->val.v.f;
    return (double)gf_get_int(f, key, (int64_t)def);
}

const char *gf_get_str(const struct gf_file *f, const char *key)
{
    const struct gf_kv *kv = gf_find(f, key);
    return kv && kv->val.type == GF_VT_STRING ? kv->val.v.str.s : NULL;
}

uint64_t gf_get_arr_n(const struct gf_file *f, const char *key)
{
    const struct gf_kv *kv = gf_find(f, key);
    return kv && kv->val.type == GF_VT_ARRAY ? kv->val.v.arr.n : 0;
}

/* ------------------------------------------------------------------ writer */

struct wtensor {
    char *name;
    uint32_t type;
    uint32_t n_dims;
    int64_t ne[GF_MAX_DIMS];
    uint64_t n_bytes;
};

struct gf_writer {
    struct gf_kv *kv;
    size_t n_kv, cap_kv;
    struct wtensor *t;
    size_t n_t, cap_t;
};

struct gf_writer *gf_writer_new(void)
{
    return xcalloc(1, sizeof(struct gf_writer));
}

void gf_writer_free(struct gf_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kv[i].key);
        value_release(&w->kv[i].val);
    }
    free(w->kv);
    for (size_t i = 0; i < w->n_t; i++)
        free(w->t[i].name);
    free(w->t);
    free(w);
}

static void value_copy(struct gf_value *dst, const struct gf_value *src)
{
    *dst = *src;
    if (src->type == GF_VT_STRING) {
        dst->v.str.s = xstrndup(src->v.str.s, (size_t)src->v.str.len);
    } else if (src->type == GF_VT_ARRAY) {
        uint64_t n = src->v.arr.n;
        if (src->v.arr.type == GF_VT_STRING) {
            struct gf_str *in = src->v.arr.data, *o = xcalloc((size_t)n, sizeof(*o));
            for (uint64_t i = 0; i < n; i++) {
                o[i].len = in[i].len;
                o[i].s = xstrndup(in[i].s, (size_t)in[i].len);
            }
            dst->v.arr.data = o;
        } else {
            size_t sz = (size_t)n * vtype_size(src->v.arr.type);
            dst->v.arr.data = xmalloc(sz);
            memcpy(dst->v.arr.data, src->v.arr.data, sz);
        }
    }
}

void gf_writer_set(struct gf_writer *w, const char *key, const struct gf_value *v)
{
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kv[i].key, key) == 0) {
            value_release(&w->kv[i].val);
            value_copy(&w->kv[i].val, v);
            return;
        }
    }
    if (w->n_kv == w->cap_kv) {
        w->cap_kv = w->cap_kv ? 2 * w->cap_kv : 32;
        w->kv = xrealloc(w->kv, w->cap_kv * sizeof(*w->kv));
    }
    w->kv[w->n_kv].key = xstrdup(key);
    value_copy(&w->kv[w->n_kv].val, v);
    w->n_kv++;
}

void gf_writer_set_str(struct gf_writer *w, const char *key, const char *s)
{
    struct gf_value v = {.type = GF_VT_STRING};
    v.v.str.s = (char *)s;
    v.v.str.len = strlen(s);
    gf_writer_set(w, key, &v);
}

void gf_writer_set_u32(struct gf_writer *w, const char *key, uint32_t x)
{
    struct gf_value v = {.type = GF_VT_UINT32};
    v.v.u = x;
    gf_writer_set(w, key, &v);
}

void gf_writer_set_f32(struct gf_writer *w, const char *key, float x)
{
    struct gf_value v = {.type = GF_VT_FLOAT32};
    v.v.f = x;
    gf_writer_set(w, key, &v);
}

void gf_writer_set_bool(struct gf_writer *w, const char *key, bool x)
{
    struct gf_value v = {.type = GF_VT_BOOL};
    v.v.u = x;
    gf_writer_set(w, key, &v);
}

void gf_writer_add_tensor(struct gf_writer *w, const char *name, uint32_t type, const int64_t *ne,
                          uint32_t n_dims)
{
    if (w->n_t == w->cap_t) {
        w->cap_t = w->cap_t ? 2 * w->cap_t : 64;
        w->t = xrealloc(w->t, w->cap_t * sizeof(*w->t));
    }
    struct wtensor *t = &w->t[w->n_t++];
    t->name = xstrdup(name);
    t->type = type;
    t->n_dims = n_dims;
    for (int d = 0; d < GF_MAX_DIMS; d++)
        t->ne[d] = d < (int)n_dims ? ne[d] : 1;
    t->n_bytes = ggml_tensor_nbytes(type, t->ne, n_dims);
}

static int w_bytes(FILE *fp, const void *p, size_t n)
{
    return fwrite(p, 1, n, fp) == n ? 0 : -1;
}

static int w_u32(FILE *fp, uint32_t v)
{
    return w_bytes(fp, &v, 4);
}

static int w_u64(FILE *fp, uint64_t v)
{
    return w_bytes(fp, &v, 8);
}

static int w_str(FILE *fp, const char *s, uint64_t len)
{
    return w_u64(fp, len) < 0 ? -1 : w_bytes(fp, s, (size_t)len);
}

static int w_scalar(FILE *fp, const struct gf_value *v)
{
    uint8_t b[8];
    switch (v->type) {
    case GF_VT_UINT8:
    case GF_VT_BOOL: b[0] = (uint8_t)v->v.u; return w_bytes(fp, b, 1);
    case GF_VT_INT8: b[0] = (uint8_t)(int8_t)v->v.i; return w_bytes(fp, b, 1);
    case GF_VT_UINT16: {
        uint16_t x = (uint16_t)v->v.u;
        return w_bytes(fp, &x, 2);
    }
    case GF_VT_INT16: {
        int16_t x = (int16_t)v->v.i;
        return w_bytes(fp, &x, 2);
    }
    case GF_VT_UINT32: {
        uint32_t x = (uint32_t)v->v.u;
        return w_bytes(fp, &x, 4);
    }
    case GF_VT_INT32: {
        int32_t x = (int32_t)v->v.i;
        return w_bytes(fp, &x, 4);
    }
    case GF_VT_FLOAT32: {
        float x = (float)v->v.f;
        return w_bytes(fp, &x, 4);
    }
    case GF_VT_UINT64: return w_bytes(fp, &v->v.u, 8);
    case GF_VT_INT64: return w_bytes(fp, &v->v.i, 8);
    case GF_VT_FLOAT64: return w_bytes(fp, &v->v.f, 8);
    default: return -1;
    }
}

static int w_value(FILE *fp, const struct gf_value *v)
{
    if (v->type == GF_VT_STRING)
        return w_str(fp, v->v.str.s, v->v.str.len);
    if (v->type != GF_VT_ARRAY)
        return w_scalar(fp, v);
    if (w_u32(fp, v->v.arr.type) < 0 || w_u64(fp, v->v.arr.n) < 0)
        return -1;
    if (v->v.arr.type == GF_VT_STRING) {
        const struct gf_str *ss = v->v.arr.data;
        for (uint64_t i = 0; i < v->v.arr.n; i++)
            if (w_str(fp, ss[i].s, ss[i].len) < 0)
                return -1;
        return 0;
    }
    return w_bytes(fp, v->v.arr.data, (size_t)(v->v.arr.n * vtype_size(v->v.arr.type)));
}

static int w_pad(FILE *fp, uint64_t pos, uint64_t align)
{
    static const uint8_t zero[64];
    uint64_t pad = (align - pos % align) % align;
    return w_bytes(fp, zero, (size_t)pad);
}

int gf_writer_write(struct gf_writer *w, const char *path, gf_fill_fn fill, void *ud, char *err)
{
    int ret = -1;
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    sig_tmp_add(tmp); /* a signal that ends the process removes it */
    void *buf = NULL;
    uint64_t buf_size = 0;
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        set_err(err, "cannot create '%s': %s", tmp, strerror(errno));
        goto out;
    }
    const uint64_t align = GF_DEFAULT_ALIGNMENT;
    for (size_t i = 0; i < w->n_t; i++) {
        if (w->t[i].n_bytes == UINT64_MAX) {
            set_err(err, "tensor '%s': shape is not a whole number of blocks", w->t[i].name);
            goto out;
        }
    }
    if (w_bytes(fp, GF_MAGIC, 4) < 0 || w_u32(fp, 3) < 0 || w_u64(fp, w->n_t) < 0 ||
        w_u64(fp, w->n_kv) < 0)
        goto io;
    for (size_t i = 0; i < w->n_kv; i++)
        if (w_str(fp, w->kv[i].key, strlen(w->kv[i].key)) < 0 || w_u32(fp, w->kv[i].val.type) < 0 ||
            w_value(fp, &w->kv[i].val) < 0)
            goto io;
    uint64_t off = 0;
    for (size_t i = 0; i < w->n_t; i++) {
        struct wtensor *t = &w->t[i];
        if (w_str(fp, t->name, strlen(t->name)) < 0 || w_u32(fp, t->n_dims) < 0)
            goto io;
        for (uint32_t d = 0; d < t->n_dims; d++)
            if (w_u64(fp, (uint64_t)t->ne[d]) < 0)
                goto io;
        if (w_u32(fp, t->type) < 0 || w_u64(fp, off) < 0)
            goto io;
        off += (t->n_bytes + align - 1) / align * align;
    }
    long pos = ftell(fp);
    if (pos < 0 || w_pad(fp, (uint64_t)pos, align) < 0)
        goto io;
    for (size_t i = 0; i < w->n_t; i++) {
        struct wtensor *t = &w->t[i];
        if (t->n_bytes > buf_size) {
            free(buf);
            buf_size = t->n_bytes;
            buf = xmalloc((size_t)buf_size);
        }
        if (fill(ud, i, buf, t->n_bytes) < 0) {
            set_err(err, "cannot generate data for tensor '%s'", t->name);
            goto out;
        }
        if (w_bytes(fp, buf, (size_t)t->n_bytes) < 0 || w_pad(fp, t->n_bytes, align) < 0)
            goto io;
    }
    if (fflush(fp) != 0 || fsync(fileno(fp)) != 0)
        goto io;
    if (fclose(fp) != 0) {
        fp = NULL;
        goto io;
    }
    fp = NULL;
    if (rename(tmp, path) < 0) {
        set_err(err, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        goto out;
    }
    ret = 0;
    goto out;
io:
    set_err(err, "cannot write '%s': %s", path, strerror(errno ? errno : EIO));
out:
    if (fp)
        fclose(fp);
    if (ret < 0)
        unlink(tmp);
    sig_tmp_remove(tmp);
    free(tmp);
    free(buf);
    return ret;
}
