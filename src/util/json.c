/* Reading and writing JSON fields (see json.h). */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

cJSON *json_u64_array(const uint64_t *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
    return a;
}

int json_get_int(const cJSON *o, const char *key, int64_t *out, char *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) ||
        it->valuedouble != floor(it->valuedouble) || fabs(it->valuedouble) > 9007199254740992.0)
        return set_err(err, "protocol: field '%s' is missing or not an integer", key);
    *out = (int64_t)it->valuedouble;
    return 0;
}

int json_get_i32(const cJSON *o, const char *key, int64_t lo, int64_t hi, int *out, char *err)
{
    int64_t v;
    if (json_get_int(o, key, &v, err) < 0)
        return -1;
    if (v < lo || v > hi)
        return set_err(err, "protocol: field '%s' out of range", key);
    *out = (int)v;
    return 0;
}

int json_get_num(const cJSON *o, const char *key, double lo, double hi, double *out, char *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < lo ||
        it->valuedouble > hi)
        return set_err(err, "protocol: field '%s' is missing or out of range", key);
    *out = it->valuedouble;
    return 0;
}

int json_get_str(const cJSON *o, const char *key, char *dst, size_t n, char *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(it) || strlen(it->valuestring) >= n)
        return set_err(err, "protocol: field '%s' is missing or too long", key);
    snprintf(dst, n, "%s", it->valuestring);
    return 0;
}

int json_get_u64_array(const cJSON *o, const char *key, uint64_t **out, int *n, char *err)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsArray(a))
        return set_err(err, "protocol: field '%s' is not an array", key);
    int k = cJSON_GetArraySize(a);
    uint64_t *v = xcalloc((size_t)(k ? k : 1), sizeof(uint64_t));
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach (it, a) {
        if (!cJSON_IsNumber(it) || it->valuedouble < 0 || !isfinite(it->valuedouble)) {
            free(v);
            return set_err(err, "protocol: field '%s' holds a non-number", key);
        }
        v[i++] = (uint64_t)it->valuedouble;
    }
    *out = v;
    *n = k;
    return 0;
}

static void jr_fail(struct json_reader *r, const char *key, const char *what)
{
    if (!r->failed)
        snprintf(r->err, sizeof(r->err), "protocol: field '%s' is missing or %s", key, what);
    r->failed = true;
}

double jr_num(struct json_reader *r, const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNull(it))
        return NAN; /* cJSON writes a NaN or an infinity as null: present, not a number */
    if (!cJSON_IsNumber(it)) {
        jr_fail(r, key, "not a number");
        return 0;
    }
    return it->valuedouble;
}

void jr_str(struct json_reader *r, const cJSON *o, const char *key, char *dst, size_t n)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(it)) {
        jr_fail(r, key, "not a string");
        if (n)
            dst[0] = '\0';
        return;
    }
    snprintf(dst, n, "%s", it->valuestring); /* a longer one is cut, as messages are */
}

void jsonl_init(struct jsonl *r, const char *text, size_t len)
{
    r->p = text;
    r->end = text + len;
    r->line = 0;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        r->p += 3;
}

int jsonl_next(struct jsonl *r, cJSON **obj)
{
    *obj = NULL;
    while (r->p < r->end) {
        const char *p = r->p, *nl = memchr(p, '\n', (size_t)(r->end - p));
        size_t n = (size_t)((nl ? nl : r->end) - p);
        r->p = nl ? nl + 1 : r->end;
        r->line++;
        if (n && p[n - 1] == '\r')
            n--;
        size_t i = 0;
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i == n)
            continue;
        if (!memchr(p, '\0', n)) {
            char *copy = xstrndup(p, n);
            *obj = cJSON_ParseWithOpts(copy, NULL, 1);
            free(copy);
            if (!cJSON_IsObject(*obj)) {
                cJSON_Delete(*obj);
                *obj = NULL;
            }
        }
        return 1;
    }
    return 0;
}
