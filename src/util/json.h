/* Fields of JSON objects (cJSON): strict readers that fail naming the field, and the
 * number arrays rows keep their samples in. */
#ifndef QB_JSON_H
#define QB_JSON_H

#include <cjson/cJSON.h>
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

/* Lenient readers for what a worker sent after it was checked: missing ones read as
 * "" / 0. */
void json_copy_str(char *dst, size_t n, const cJSON *o, const char *key);
double json_num(const cJSON *o, const char *key);

#endif
