/* GGUF files without llama.cpp: a bounds-checked reader of the header, the
 * key/value metadata and the tensor directory (never the tensor data), and a
 * writer used by `synth`. Every count and length read from a file is checked
 * against the bytes left before anything is allocated, so a hostile header
 * (2^40 tensors, a 1 TB string) is an error, not an allocation. */
#ifndef QB_GGUF_H
#define QB_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GF_MAGIC             "GGUF"
#define GF_DEFAULT_ALIGNMENT 32
#define GF_MAX_DIMS          4

enum gf_vtype {
    GF_VT_UINT8 = 0,
    GF_VT_INT8 = 1,
    GF_VT_UINT16 = 2,
    GF_VT_INT16 = 3,
    GF_VT_UINT32 = 4,
    GF_VT_INT32 = 5,
    GF_VT_FLOAT32 = 6,
    GF_VT_BOOL = 7,
    GF_VT_STRING = 8,
    GF_VT_ARRAY = 9,
    GF_VT_UINT64 = 10,
    GF_VT_INT64 = 11,
    GF_VT_FLOAT64 = 12,
    GF_VT_COUNT
};

struct gf_str {
    uint64_t len; /* bytes, without the terminating NUL we add */
    char *s;      /* NUL-terminated copy */
};

struct gf_value {
    enum gf_vtype type;
    union {
        uint64_t u;        /* unsigned ints and bool */
        int64_t i;         /* signed ints */
        double f;          /* floats */
        struct gf_str str; /* GF_VT_STRING */
        struct {
            enum gf_vtype type; /* element type (never ARRAY) */
            uint64_t n;         /* element count */
            void *data;         /* n raw little-endian elements, or n struct gf_str */
        } arr;
    } v;
};

struct gf_kv {
    char *key;
    struct gf_value val;
};

struct gf_tensor {
    char *name;
    uint32_t n_dims;
    int64_t ne[GF_MAX_DIMS]; /* elements per dimension, ne[0] innermost; unused = 1 */
    uint32_t type;           /* ggml type id */
    uint64_t offset;         /* from the start of the data section */
    uint64_t n_bytes;        /* size of the data, from type and shape */
};

struct gf_file {
    uint32_t version;
    uint64_t n_kv;
    struct gf_kv *kv;
    uint64_t n_tensors;
    struct gf_tensor *tensors;
    uint64_t alignment;   /* general.alignment or 32 */
    uint64_t data_offset; /* start of the tensor data section in the file */
    uint64_t file_size;   /* bytes in the file (or buffer) */
    bool data_absent;     /* a header-only read: some tensor data lies past the end */
};

/* gf_read_file's and gf_read_mem's return for a file that is no GGUF at all (empty, or
 * another magic): a caller may try another format then */
#define GF_NOT_GGUF (-2)

/* Parse a GGUF file's metadata and tensor directory and check that every tensor's
 * data lies inside the file. 0 ok (*out is the caller's, free with gf_free); GF_NOT_GGUF
 * or -1 (unreadable, truncated, corrupt) with err filled ("'PATH': ..."). */
int gf_read_file(const char *path, struct gf_file **out, char *err);

/* Same from memory (fuzzing, tests); name is used in messages. */
int gf_read_mem(const void *data, size_t size, const char *name, struct gf_file **out, char *err);

/* Header only (mem's plans): the metadata and tensor directory, tensor data past the end
 * of the file allowed (f->data_absent then), for a file that holds only a model's header.
 * A header cut short is still an error (-1, "truncated"). */
int gf_read_header_file(const char *path, struct gf_file **out, char *err);

/* gf_read_header_mem's return when data (the first size bytes of a file of file_size) ends
 * inside the header: *need is the least bytes from the start to read before trying again */
#define GF_NEED_MORE (-3)

/* Header only from the start of a file of file_size bytes held in data[0..size): 0, -1 /
 * GF_NOT_GGUF with err, or GF_NEED_MORE with *need (and err) when size < file_size and the
 * header goes on past size. Counts are checked against the bytes held, so a hostile count
 * costs reads (bounded by the caller), never an allocation. */
int gf_read_header_mem(const void *data, size_t size, uint64_t file_size, const char *name,
                       struct gf_file **out, uint64_t *need, char *err);

void gf_free(struct gf_file *f); /* accepts NULL */

/* Lookups; returned pointers are borrowed from f. */
const struct gf_kv *gf_find(const struct gf_file *f, const char *key);
/* Integer value of key (any int/bool type) or def when absent or not an integer */
int64_t gf_get_int(const struct gf_file *f, const char *key, int64_t def);
double gf_get_float(const struct gf_file *f, const char *key, double def);
const char *gf_get_str(const struct gf_file *f, const char *key); /* NULL if absent */
/* Number of elements of an array value, 0 if absent */
uint64_t gf_get_arr_n(const struct gf_file *f, const char *key);

const char *gf_vtype_name(enum gf_vtype t); /* static, do not free */

/* ---- ggml tensor types, known without ggml ---- */
struct ggml_type_info {
    const char *name; /* ggml's name, e.g. "q4_K"; NULL for unused ids */
    uint32_t blck;    /* elements per block */
    uint32_t size;    /* bytes per block */
};
#define GGML_TYPE_ID_COUNT 43
/* NULL when id is unknown or retired; static, do not free */
const struct ggml_type_info *ggml_type_info(uint32_t id);
/* id of a type by ggml name, case-insensitive ("Q8_0", "f16"); -1 if unknown */
int ggml_type_by_name(const char *name);
/* Bytes of a tensor of that shape; UINT64_MAX when the row is not a whole number
 * of blocks or the size overflows */
uint64_t ggml_tensor_nbytes(uint32_t type, const int64_t *ne, uint32_t n_dims);

/* ---- llama file types (general.file_type) ---- */
/* Name used by llama-quantize ("Q4_K_M", "F16"); NULL if unknown; static */
const char *llama_ftype_name_short(int ftype);
/* ftype id by that name, case-insensitive; -1 if unknown */
int llama_ftype_by_name(const char *name);

/* ---- writer ---- */
struct gf_writer;

struct gf_writer *gf_writer_new(void);
void gf_writer_free(struct gf_writer *w); /* accepts NULL */
/* Add a KV; the value is deep-copied. Replaces an earlier KV of the same key. */
void gf_writer_set(struct gf_writer *w, const char *key, const struct gf_value *v);
void gf_writer_set_str(struct gf_writer *w, const char *key, const char *s);
void gf_writer_set_u32(struct gf_writer *w, const char *key, uint32_t v);
void gf_writer_set_f32(struct gf_writer *w, const char *key, float v);
void gf_writer_set_bool(struct gf_writer *w, const char *key, bool v);
/* Add a tensor; its data comes from the fill callback at write time, in order. */
void gf_writer_add_tensor(struct gf_writer *w, const char *name, uint32_t type, const int64_t *ne,
                          uint32_t n_dims);
/* fill(ud, index, buf, n_bytes) writes tensor `index`'s bytes into buf; returns 0 or -1 */
typedef int (*gf_fill_fn)(void *ud, size_t index, void *buf, uint64_t n_bytes);
/* Write to path atomically (a temporary file renamed over path). 0 ok, -1 with err. */
int gf_writer_write(struct gf_writer *w, const char *path, gf_fill_fn fill, void *ud, char *err);

#endif
