/* Row output shared by the commands: JSON / JSONL / CSV of cJSON row objects (every
 * row with the same keys), and a markdown table from a column list. */
#ifndef QB_TABLE_H
#define QB_TABLE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

enum bench_fmt {
    BENCH_FMT_NONE,
    BENCH_FMT_MD,
    BENCH_FMT_CSV,
    BENCH_FMT_JSON,
    BENCH_FMT_JSONL,
    BENCH_FMT_SQL,
    BENCH_FMT_HTML
};

/* A set of formats, as bits: the formats one command writes */
#define BENCH_FMT_BIT(f) (1u << (f))
#define BENCH_FMTS_ROWS                                                                            \
    (BENCH_FMT_BIT(BENCH_FMT_MD) | BENCH_FMT_BIT(BENCH_FMT_CSV) | BENCH_FMT_BIT(BENCH_FMT_JSON) |  \
     BENCH_FMT_BIT(BENCH_FMT_JSONL))

/* "md", "csv", ... -> format; -1 if unknown ("none" only when allow_none) */
int bench_fmt_parse(const char *s, bool allow_none);

/* The value of an output-format flag against the formats a command writes (accepted, a
 * set of BENCH_FMT_BIT): 0 with *fmt, or -1 with err "invalid output format 'V' (md, csv,
 * json, jsonl)" (" for FLAG" after the value when flag is not NULL). The one parser of
 * every command's -o, so what --help lists is what is taken. */
int bench_fmt_flag(const char *v, unsigned accepted, const char *flag, enum bench_fmt *fmt,
                   char *err);
/* The names of a set, "md, csv, json, jsonl", into buf; returns buf */
const char *bench_fmt_names(unsigned accepted, char *buf, size_t n);

enum table_kind {
    TABLE_INT,      /* integer field */
    TABLE_F2,       /* number with 2 decimals */
    TABLE_F3,       /* number with 3 decimals */
    TABLE_MEAN_SD,  /* "<key> ± <key>_sd" with 2 decimals; the status when not ok */
    TABLE_MIB,      /* bytes shown as MiB with 2 decimals */
    TABLE_MEAN_SD4, /* TABLE_MEAN_SD with 4 decimals (KL-divergence) */
    TABLE_MEAN_ERR, /* "<key> ± <key>_err" as llama-perplexity's PPL (%.4f ± %.5f) */
    TABLE_FLAG,     /* a bool field: the column's head when true, else empty */
};

struct table_col {
    const char *key;  /* field of the row object */
    const char *head; /* markdown header */
    int width;        /* markdown width, negative: left-aligned */
    enum table_kind kind;
};

struct table_out {
    FILE *fp;
    enum bench_fmt fmt;
    const struct table_col *cols; /* markdown columns */
    int n_cols;
    bool header_done; /* md / csv header written */
    int n_rows;       /* rows written */
    char footer[128]; /* markdown footer */
    cJSON *csv_keys;  /* csv: the header's keys, every later row written in their order */
};

/* base columns, then (with mem) host MiB, GPU MiB and peak RSS MiB of the mem_* fields;
 * out has room for n + 3; returns the count */
int table_cols_mem(const struct table_col *base, int n, bool mem, struct table_col *out);

void table_begin(struct table_out *t, FILE *fp, enum bench_fmt fmt, const struct table_col *cols,
                 int n_cols);
void table_row(struct table_out *t, const cJSON *row);
void table_end(struct table_out *t);

/* A table of text cells written as markdown ("| a | b |" under a "|---|---:|" rule) or CSV
 * (RFC 4180: a header line, a field quoted when it holds a comma, a quote or a line
 * break, quotes doubled) with the same columns: the md tables of ctxmax, mem, report
 * --runs and their csv. Cells are outside text: escaped as str_escape does (md with '|'
 * as '\|'; csv keeps line breaks in a quoted field). */
struct text_table {
    FILE *fp;
    enum bench_fmt fmt;       /* BENCH_FMT_MD or BENCH_FMT_CSV */
    const char *const *heads; /* column headers (borrowed) */
    const char *align;        /* md: per column 'l' (---) or 'r' (---:) */
    int n_cols;
    bool header_done;
};

void text_table_begin(struct text_table *t, FILE *fp, enum bench_fmt fmt, const char *const *heads,
                      const char *align, int n_cols);
/* One row of n_cols cells (the header is written before the first) */
void text_table_row(struct text_table *t, const char *const *cells);
/* The end: a table without rows still gets its header */
void text_table_end(struct text_table *t);
/* One CSV field, quoted only when it must be (RFC 4180) or when it needs escaping
 * (table_put_quoted) */
void csv_put_field(FILE *fp, const char *s);

/* A field as text: numbers without exponent noise, bools 0/1, arrays space-joined.
 * The caller frees the result. */
char *table_value_text(const cJSON *it);
/* s between q quotes, doubling any q inside; control characters other than newlines and
 * tabs escaped (str_escape) */
void table_put_quoted(FILE *fp, const char *s, char q);

#endif
