/* Fields of JSON objects (cJSON): strict readers that fail naming the field, and the
 * number arrays rows keep their samples in. */
#ifndef QB_JSON_H
#define QB_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Read an integer / a number array: 0 ok, -1 with err naming the field. *out is the
 * caller's (free). */
int json_get_int(const cJSON *o, const char *key, int64_t *out, char *err);
int json_get_u64_array(const cJSON *o, const char *key, uint64_t **out, int *n, char *err);
/* An integer in lo..hi, a finite number in lo..hi, a string shorter than n */
int json_get_i32(const cJSON *o, const char *key, int64_t lo, int64_t hi, int *out, char *err);
int json_get_num(const cJSON *o, const char *key, double lo, double hi, double *out, char *err);
int json_get_str(const cJSON *o, const char *key, char *dst, size_t n, char *err);
/* An array of v[0..n) (the caller's, cJSON_Delete) */
cJSON *json_u64_array(const uint64_t *v, int n);

/* A reader of many fields with a sticky error: a field that is missing or of the wrong
 * type reads as 0 / "" and marks the reader failed with the first such field named in
 * err; the caller checks failed once, after the last read. A missing field is never taken
 * for 0. A number written as null (cJSON's NaN and infinities) reads as NaN; a string
 * longer than dst is cut to fit.
 *
 *   struct json_reader jr = {0};
 *   row->ctx_ns = (uint64_t)jr_num(&jr, resp, "ctx_ns");
 *   jr_str(&jr, resp, "reps_stop", row->reps_stop, sizeof(row->reps_stop));
 *   if (jr.failed)
 *       return set_err(err, "%s", jr.err);
 */
struct json_reader {
    bool failed;
    char err[256]; /* "protocol: field 'ctx_ns' is missing or not a number" */
};
double jr_num(struct json_reader *r, const cJSON *o, const char *key);
void jr_str(struct json_reader *r, const cJSON *o, const char *key, char *dst, size_t n);

/* A JSONL text read a line at a time: a UTF-8 byte order mark at its start, a '\r' before
 * each '\n' and lines of only spaces and tabs are skipped.
 *
 *   struct jsonl r;
 *   jsonl_init(&r, text, len);
 *   for (cJSON *o; jsonl_next(&r, &o); cJSON_Delete(o))
 *       if (!o) return set_err(err, "%s:%d: not a JSON object", path, r.line);
 */
struct jsonl {
    const char *p, *end; /* what is left of the text (borrowed) */
    int line;            /* the number of the line jsonl_next returned, from 1 */
};
void jsonl_init(struct jsonl *r, const char *text, size_t len);
/* The next line that is not blank: 1 with *obj, the line parsed when it is one JSON object
 * and nothing else (the caller's, cJSON_Delete), else NULL; 0 at the end */
int jsonl_next(struct jsonl *r, cJSON **obj);

#endif
