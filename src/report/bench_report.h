/* Writers for `bench` rows: llama-bench's markdown table, CSV and SQL with its
 * fields, JSON / JSONL with llama-bench's field names plus ours. Rows are written
 * as they arrive; every row has the same fields. */
#ifndef QB_BENCH_REPORT_H
#define QB_BENCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "../record/bench_row.h"
#include "table.h"

/* markdown columns shown besides model/size/params/backend/test/t/s/load/ctx */
enum bench_col {
    BENCH_COL_NGL = 1 << 0,
    BENCH_COL_THREADS = 1 << 1,
    BENCH_COL_BATCH = 1 << 2,
    BENCH_COL_UBATCH = 1 << 3,
    BENCH_COL_TYPE_K = 1 << 4,
    BENCH_COL_TYPE_V = 1 << 5,
    BENCH_COL_FA = 1 << 6,
    BENCH_COL_LM = 1 << 7,
    BENCH_COL_NKVO = 1 << 8,
    BENCH_COL_NCMOE = 1 << 9,
    BENCH_COL_CPU_MASK = 1 << 10,
    BENCH_COL_CPU_STRICT = 1 << 11,
    BENCH_COL_POLL = 1 << 12,
    BENCH_COL_SM = 1 << 13,
    BENCH_COL_MG = 1 << 14,
    BENCH_COL_DEV = 1 << 15,
    BENCH_COL_TS = 1 << 16,
    BENCH_COL_OT = 1 << 17,
    BENCH_COL_PG = 1 << 18,  /* pp t/s, tg t/s and TTFT of pp+tg rows */
    BENCH_COL_MEM = 1 << 19, /* host / GPU memory and peak RSS (--mem) */
};

struct bench_report {
    FILE *fp;
    enum bench_fmt fmt;
    unsigned cols;    /* enum bench_col bits wanted by the caller */
    int n_rows;       /* rows written */
    bool header_done; /* header written (md, sql) */
    char footer[128]; /* markdown footer (build line) */

    struct table_out t; /* csv, json, jsonl: the shared row writer */
};

void bench_report_begin(struct bench_report *rp, FILE *fp, enum bench_fmt fmt, unsigned cols);
void bench_report_row(struct bench_report *rp, const struct bench_row *r);
void bench_report_end(struct bench_report *rp);

/* The JSON object of one row (caller frees with cJSON_Delete): llama-bench's fields in
 * its order, then ours. The same keys for every row. */
struct cJSON *bench_row_json(const struct bench_row *r);

/* llama-bench's result fields, in its order (static, NULL-terminated) */
extern const char *const bench_llama_fields[];

#endif
