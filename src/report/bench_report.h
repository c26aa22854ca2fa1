/* Writers for `bench` rows: llama-bench's markdown table, and JSON / JSONL with
 * llama-bench's field names plus ours. Rows are written as they arrive. */
#ifndef QB_BENCH_REPORT_H
#define QB_BENCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "../measure/bench_row.h"

enum bench_fmt { BENCH_FMT_MD, BENCH_FMT_JSON, BENCH_FMT_JSONL };

/* markdown columns shown besides model/size/params/backend/test/t/s */
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
};

struct bench_report {
    FILE *fp;
    enum bench_fmt fmt;
    unsigned cols;    /* enum bench_col bits wanted by the caller */
    int n_rows;       /* rows written */
    bool header_done; /* markdown header written */
    char footer[128]; /* markdown footer (build line) */
};

void bench_report_begin(struct bench_report *rp, FILE *fp, enum bench_fmt fmt, unsigned cols);
void bench_report_row(struct bench_report *rp, const struct bench_row *r);
void bench_report_end(struct bench_report *rp);

/* The JSON object of one row (caller frees with cJSON_Delete); used by json/jsonl. */
struct cJSON *bench_row_json(const struct bench_row *r);

#endif
