/* Field tables: a record's fields described once, {key, flags, type, offset, range, help},
 * and the code that writes them into JSON, reads them back strictly, parses their flags
 * and prints their help. The tables themselves are in fields.h; this file knows none. */
#ifndef QB_FIELD_H
#define QB_FIELD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum field_type {
    FIELD_INT,    /* int */
    FIELD_U32,    /* uint32_t */
    FIELD_U64,    /* uint64_t, at most 2^53 in JSON */
    FIELD_BOOL,   /* bool; a flag takes 0 or 1 */
    FIELD_DOUBLE, /* double */
    FIELD_STR,    /* char[size] */
    FIELD_ENUM,   /* an int written by name (names) */
    FIELD_FLOATS, /* float[size / sizeof(float)]: "3/1" on flags and in rows */
    FIELD_STRP,   /* const char *, borrowed: read, it points into the JSON object read (or
                   * the flag's argv), valid while that lives; NULL is written as "" */
    FIELD_STRS,   /* char[hi][size / hi]: up to hi strings, a JSON array of those not "";
                   * a flag given again adds one */
};

/* A name for a value: FIELD_ENUM's names (the first of a value is the one written) or the
 * only spellings a FIELD_INT flag accepts (-fa on/off/auto); NULL-terminated */
struct field_name {
    const char *name;
    int value;
};

/* The structs a table's fields lie in: each field names one, its offset is into it */
enum field_part {
    FIELD_PART_LOAD, /* struct engine_model_params */
    FIELD_PART_CTX,  /* struct engine_ctx_params */
    FIELD_PART_WORK, /* struct work_test (record/params.h): a test's own parameters */
    FIELD_N_PARTS
};

/* What a field is used for (field.use, and the mask the functions below take) */
#define FIELD_USE_WIRE 1u /* the worker protocol */
#define FIELD_USE_ROW  2u /* the settings every row of sweep, batched ... carries */
#define FIELD_USE_FLAG 4u /* a flag of the one-configuration commands (cli/single.c) */

/* The JSON form: rows as users see them (FIELD_FLOATS as llama-bench's "0.50/0.50" text)
 * or exact, for the protocol (FIELD_FLOATS as an array of numbers) */
enum field_form { FIELD_FORM_ROW, FIELD_FORM_WIRE };

struct field {
    const char *key;   /* the JSON / row name, llama-bench's field name: "n_gpu_layers" */
    const char *flag;  /* llama-bench's short flag "-ngl"; NULL when none */
    const char *lflag; /* its long flag "--n-gpu-layers"; NULL when none */
    enum field_type type;
    enum field_part part;           /* the struct it lies in */
    size_t off;                     /* offsetof into that struct */
    size_t size;                    /* sizeof the member */
    const char *unit;               /* "tokens", "s", ... ("" when none) */
    double lo, hi;                  /* the range of numbers (FIELD_INT ... FIELD_DOUBLE);
                                     * FIELD_STRS: hi is the number of strings */
    double flag_hi;                 /* a flag's narrower upper bound; 0: hi */
    const struct field_name *names; /* see struct field_name; NULL when none */
    const char *none;               /* FIELD_STR: how "" is written and given ("none") */
    /* FIELD_STR: checks a flag's value and writes what is kept into dst (n bytes);
     * -1 with err. NULL: the value is kept as given. */
    int (*check)(const char *flag, const char *v, char *dst, size_t n, char *err);
    const char *metavar; /* the value in help: "N" */
    const char *def;     /* the default as help shows it: "4096" */
    const char *help;    /* one line */
    unsigned use;        /* FIELD_USE_* */
};

/* Add the fields of t[0..n) whose use has a bit of mask and whose part is in parts[]
 * (NULL parts are skipped) to o, in table order. */
void field_write(const struct field *t, size_t n, unsigned mask, const void *const *parts,
                 enum field_form form, cJSON *o);

/* Read those fields back from o: 0 ok, -1 with err naming the first field that is
 * missing, of the wrong type or out of range. */
int field_read(const struct field *t, size_t n, unsigned mask, void *const *parts,
               enum field_form form, const cJSON *o, char *err);

/* The field of t whose flag or long flag is a, among those with a bit of mask; NULL */
const struct field *field_by_flag(const struct field *t, size_t n, unsigned mask, const char *a);
/* The field of t named key; NULL */
const struct field *field_by_key(const struct field *t, size_t n, const char *key);

/* Parse v, the value of flag a (f's flag or long flag), into f's member of parts[f->part]
 * with its range and the errors the commands give ("invalid value 'x' for -c (expected
 * an integer in 1..16777216)"); 0 ok, -1 with err. */
int field_parse_flag(const struct field *f, const char *a, const char *v, void *const *parts,
                     char *err);

/* One help line per field with a bit of mask, in table order:
 * "  -c, --ctx-size N            context size in tokens [4096]" */
void field_help(const struct field *t, size_t n, unsigned mask, FILE *fp);

/* FIELD_FLOATS in rows, llama-bench's tensor_split: "%.2f" per value up to the last
 * non-zero, '/'-joined ("3.00/1.00"; "0.00" for none), into buf (len bytes) */
void field_floats_text(const float *v, size_t n, char *buf, size_t len);

/* Flag checks the tables use. -ctk/-ctv: the KV cache type named v (any case) as ggml
 * spells it, into *canon (static); -1 with err naming flag otherwise. */
int flag_kv_type(const char *v, const char *flag, const char **canon, char *err);
/* -ot: "PATTERN=BUFFER_TYPE;..." shorter than max bytes ("none" allowed), every PATTERN a
 * regex that compiles; -1 with err. */
int flag_override_spec(const char *v, size_t max, char *err);
/* -ts: "3/1": up to n non-negative proportions into out[0..n) (the rest 0); -1 with err */
int flag_tensor_split(const char *v, float *out, size_t n, char *err);

#endif
