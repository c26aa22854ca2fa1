/* Reading other tools' result files into rows with our field names: llama-bench's
 * json, jsonl, csv, sql and md; llama-batched-bench's md and jsonl; sweep-bench's md
 * and jsonl (ik_llama.cpp); our bench -o sql (its quantbench_bench table, each row once)
 * and ctxmax / mem -o json. The format is recognised from the content; a UTF-8 byte
 * order mark is skipped. Every number must be finite, and those stored or counted as
 * integers whole and within 2^53. Pure parsing: no file access, no database. */
#ifndef QB_IMPORT_H
#define QB_IMPORT_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct import_result {
    const char *format; /* "json", "jsonl", "csv", "sql", "md" (static) */
    const char *tool;   /* "llama-bench", "quantbench ctxmax", ... (static) */
    const char *kind;   /* "bench", "batched", "sweep", "ctxmax" or "mem" (static) */
    cJSON *rows;        /* array of row objects (owned; free with import_release) */
    int *lines;         /* source line of each row (owned) */
    int n;              /* rows */
};

/* Parse text[0..len) (need not be NUL-terminated). 0, or -1 with err "line N: what"
 * (*err_line = N; 0 when the whole file is at fault, e.g. an unknown format). */
int import_parse(const char *text, size_t len, struct import_result *out, int *err_line, char *err);
void import_release(struct import_result *r);

#endif
