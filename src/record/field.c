/* Field tables: JSON, flags and help from one description (see field.h). */
#include "field.h"

#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/json.h"
#include "../util/util.h"

static void *at(void *const *parts, const struct field *f)
{
    return (char *)parts[f->part] + f->off;
}

static const void *cat(const void *const *parts, const struct field *f)
{
    return (const char *)parts[f->part] + f->off;
}

static bool picked(const struct field *f, unsigned mask, const void *const *parts)
{
    return (f->use & mask) && parts[f->part];
}

static const char *name_of(const struct field *f, int v)
{
    for (const struct field_name *n = f->names; n && n->name; n++)
        if (n->value == v)
            return n->name;
    return "?";
}

static const struct field_name *by_name(const struct field *f, const char *s)
{
    for (const struct field_name *n = f->names; n && n->name; n++)
        if (!strcmp(n->name, s))
            return n;
    return NULL;
}

void field_floats_text(const float *v, size_t n, char *buf, size_t len)
{
    size_t last = 0, used = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] > 0)
            last = i;
    buf[0] = '\0';
    for (size_t i = 0; i <= last && used < len; i++) {
        int k = snprintf(buf + used, len - used, "%s%.2f", i ? "/" : "", v[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

void field_write(const struct field *t, size_t n, unsigned mask, const void *const *parts,
                 enum field_form form, cJSON *o)
{
    for (const struct field *f = t; f < t + n; f++) {
        if (!picked(f, mask, parts))
            continue;
        const void *p = cat(parts, f);
        switch (f->type) {
        case FIELD_INT: cJSON_AddNumberToObject(o, f->key, *(const int *)p); break;
        case FIELD_U32: cJSON_AddNumberToObject(o, f->key, *(const uint32_t *)p); break;
        case FIELD_U64: cJSON_AddNumberToObject(o, f->key, (double)*(const uint64_t *)p); break;
        case FIELD_BOOL: cJSON_AddBoolToObject(o, f->key, *(const bool *)p); break;
        case FIELD_DOUBLE: cJSON_AddNumberToObject(o, f->key, *(const double *)p); break;
        case FIELD_STR: {
            const char *s = p;
            cJSON_AddStringToObject(o, f->key, !s[0] && f->none ? f->none : s);
            break;
        }
        case FIELD_ENUM: cJSON_AddStringToObject(o, f->key, name_of(f, *(const int *)p)); break;
        case FIELD_FLOATS: {
            const float *v = p;
            size_t k = f->size / sizeof(float);
            if (form == FIELD_FORM_WIRE) {
                cJSON *a = cJSON_AddArrayToObject(o, f->key);
                for (size_t i = 0; i < k; i++)
                    cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
            } else {
                char buf[16 * 64];
                field_floats_text(v, k, buf, sizeof(buf));
                cJSON_AddStringToObject(o, f->key, buf);
            }
            break;
        }
        case FIELD_STRP: {
            const char *s = *(const char *const *)p;
            cJSON_AddStringToObject(o, f->key, s ? s : "");
            break;
        }
        case FIELD_STRS: {
            size_t k = (size_t)f->hi, each = f->size / k;
            cJSON *a = cJSON_AddArrayToObject(o, f->key);
            for (size_t i = 0; i < k; i++)
                if (((const char *)p)[i * each])
                    cJSON_AddItemToArray(a, cJSON_CreateString((const char *)p + i * each));
            break;
        }
        }
    }
}

static int read_floats(const struct field *f, enum field_form form, const cJSON *o, float *v,
                       char *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, f->key), *e;
    size_t k = f->size / sizeof(float), i = 0;
    if (form == FIELD_FORM_ROW) {
        if (!cJSON_IsString(it) || flag_tensor_split(it->valuestring, v, k, err) < 0)
            return set_err(err, "protocol: field '%s' is missing or not proportions like 3/1",
                           f->key);
        return 0;
    }
    if (!cJSON_IsArray(it) || (size_t)cJSON_GetArraySize(it) > k)
        return set_err(err, "protocol: field '%s' is missing or not an array of at most %zu",
                       f->key, k);
    memset(v, 0, f->size);
    cJSON_ArrayForEach (e, it) {
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble) || e->valuedouble < 0)
            return set_err(err, "protocol: field '%s' holds a negative or non-number", f->key);
        v[i++] = (float)e->valuedouble;
    }
    return 0;
}

static int read_strs(const struct field *f, const cJSON *o, char *v, char *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, f->key), *e;
    size_t k = (size_t)f->hi, each = f->size / k, i = 0;
    if (!cJSON_IsArray(it) || (size_t)cJSON_GetArraySize(it) > k)
        return set_err(err, "protocol: field '%s' is missing or not an array of at most %zu",
                       f->key, k);
    memset(v, 0, f->size);
    cJSON_ArrayForEach (e, it) {
        if (!cJSON_IsString(e) || !e->valuestring[0] || strlen(e->valuestring) >= each)
            return set_err(err,
                           "protocol: field '%s' holds a non-string, an empty one or one "
                           "of %zu bytes or more",
                           f->key, each);
        memcpy(v + i++ * each, e->valuestring, strlen(e->valuestring) + 1);
    }
    return 0;
}

static int read_one(const struct field *f, enum field_form form, const cJSON *o, void *p, char *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, f->key);
    int64_t v;
    switch (f->type) {
    case FIELD_INT: return json_get_i32(o, f->key, (int64_t)f->lo, (int64_t)f->hi, p, err);
    case FIELD_U32:
    case FIELD_U64:
        if (json_get_int(o, f->key, &v, err) < 0)
            return -1;
        if (v < (int64_t)f->lo || v > (int64_t)f->hi)
            return set_err(err, "protocol: field '%s' out of range", f->key);
        if (f->type == FIELD_U32)
            *(uint32_t *)p = (uint32_t)v;
        else
            *(uint64_t *)p = (uint64_t)v;
        return 0;
    case FIELD_BOOL:
        if (!cJSON_IsBool(it))
            return set_err(err, "protocol: field '%s' is missing or not a boolean", f->key);
        *(bool *)p = cJSON_IsTrue(it);
        return 0;
    case FIELD_DOUBLE: return json_get_num(o, f->key, f->lo, f->hi, p, err);
    case FIELD_STR:
        if (json_get_str(o, f->key, p, f->size, err) < 0)
            return -1;
        if (f->none && !strcmp(p, f->none))
            *(char *)p = '\0';
        return 0;
    case FIELD_ENUM: {
        const struct field_name *nm = cJSON_IsString(it) ? by_name(f, it->valuestring) : NULL;
        if (!nm)
            return set_err(err, "protocol: field '%s' is missing or not a name it takes", f->key);
        *(int *)p = nm->value;
        return 0;
    }
    case FIELD_FLOATS: return read_floats(f, form, o, p, err);
    case FIELD_STRP:
        if (!cJSON_IsString(it))
            return set_err(err, "protocol: field '%s' is missing or not a string", f->key);
        *(const char **)p = it->valuestring;
        return 0;
    case FIELD_STRS: return read_strs(f, o, p, err);
    }
    return set_err(err, "protocol: field '%s' has no type", f->key);
}

int field_read(const struct field *t, size_t n, unsigned mask, void *const *parts,
               enum field_form form, const cJSON *o, char *err)
{
    for (const struct field *f = t; f < t + n; f++)
        if (picked(f, mask, (const void *const *)parts) &&
            read_one(f, form, o, at(parts, f), err) < 0)
            return -1;
    return 0;
}

const struct field *field_by_flag(const struct field *t, size_t n, unsigned mask, const char *a)
{
    for (const struct field *f = t; f < t + n; f++)
        if ((f->use & mask) &&
            ((f->flag && !strcmp(a, f->flag)) || (f->lflag && !strcmp(a, f->lflag))))
            return f;
    return NULL;
}

const struct field *field_by_key(const struct field *t, size_t n, const char *key)
{
    for (const struct field *f = t; f < t + n; f++)
        if (!strcmp(key, f->key))
            return f;
    return NULL;
}

int field_parse_flag(const struct field *f, const char *a, const char *v, void *const *parts,
                     char *err)
{
    void *p = at(parts, f);
    int lo = (int)f->lo, hi = (int)(f->flag_hi ? f->flag_hi : f->hi), x;
    const struct field_name *nm;
    switch (f->type) {
    case FIELD_INT:
    case FIELD_ENUM:
        if (f->names) {
            if (!(nm = by_name(f, v)))
                return set_err(err, "invalid value '%s' for %s", v, a);
            *(int *)p = nm->value;
            return 0;
        }
        /* fall through */
    case FIELD_U32:
    case FIELD_BOOL:
        if (parse_int(v, lo, hi, &x) < 0)
            return set_err(err, "invalid value '%s' for %s (expected an integer in %d..%d)", v, a,
                           lo, hi);
        if (f->type == FIELD_U32)
            *(uint32_t *)p = (uint32_t)x;
        else if (f->type == FIELD_BOOL)
            *(bool *)p = x;
        else
            *(int *)p = x;
        return 0;
    case FIELD_U64: {
        int64_t s;
        if (parse_i64(v, (int64_t)f->lo, (int64_t)f->hi, &s) < 0)
            return set_err(err, "invalid value '%s' for %s", v, a);
        *(uint64_t *)p = (uint64_t)s;
        return 0;
    }
    case FIELD_DOUBLE: {
        double d;
        if (parse_double(v, &d) < 0 || d < f->lo || d > f->hi)
            return set_err(err, "invalid value '%s' for %s (expected a number in %g..%g)", v, a,
                           f->lo, f->hi);
        *(double *)p = d;
        return 0;
    }
    case FIELD_STR:
        if (f->check)
            return f->check(a, v, p, f->size, err);
        if (f->none && !strcmp(v, f->none)) {
            *(char *)p = '\0';
            return 0;
        }
        if (strlen(v) >= f->size)
            return set_err(err, "value for %s is too long", f->flag ? f->flag : f->lflag);
        snprintf(p, f->size, "%s", v);
        return 0;
    case FIELD_FLOATS: return flag_tensor_split(v, p, f->size / sizeof(float), err);
    case FIELD_STRP: *(const char **)p = v; return 0;
    case FIELD_STRS: {
        size_t k = (size_t)f->hi, each = f->size / k, i = 0;
        while (i < k && ((char *)p)[i * each])
            i++;
        if (!v[0])
            return set_err(err, "invalid value '' for %s (expected a non-empty string)", a);
        if (i == k)
            return set_err(err, "%s given more than %zu times", a, k);
        if (strlen(v) >= each)
            return set_err(err, "value for %s is longer than %zu bytes", a, each - 1);
        memcpy((char *)p + i * each, v, strlen(v) + 1);
        return 0;
    }
    }
    return set_err(err, "%s has no type", a);
}

void field_help(const struct field *t, size_t n, unsigned mask, FILE *fp)
{
    for (const struct field *f = t; f < t + n; f++) {
        if (!(f->use & mask))
            continue;
        char left[96];
        int k = snprintf(left, sizeof(left), "  %s%s%s %s", f->flag ? f->flag : "",
                         f->flag ? ", " : "", f->lflag, f->metavar);
        fprintf(fp, "%s%*s%s [%s]\n", left, k < 30 ? 30 - k : 2, "", f->help, f->def);
    }
}

int flag_tensor_split(const char *v, float *out, size_t n, char *err)
{
    char *copy = xstrdup(v), *p = copy;
    size_t k = 0;
    int ret = 0;
    for (size_t i = 0; i < n; i++)
        out[i] = 0;
    for (;;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        double d;
        if (k == n || parse_double(p, &d) < 0 || d < 0) {
            ret = set_err(err,
                          "invalid value '%s' for -ts (expected proportions like 3/1, at "
                          "most %zu)",
                          v, n);
            break;
        }
        out[k++] = (float)d;
        if (!slash)
            break;
        p = slash + 1;
    }
    free(copy);
    return ret;
}

int flag_kv_type(const char *v, const char *flag, const char **canon, char *err)
{
    static const char *const ok[] = {"f32",  "f16",    "bf16", "q8_0", "q4_0",
                                     "q4_1", "iq4_nl", "q5_0", "q5_1"};
    for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++) {
        if (strcasecmp(v, ok[k]) == 0) {
            *canon = ok[k];
            return 0;
        }
    }
    return set_err(err,
                   "unknown KV cache type '%s' for %s (f32, f16, bf16, q8_0, q4_0, q4_1, "
                   "iq4_nl, q5_0, q5_1)",
                   v, flag);
}

/* llama.cpp compiles each pattern as an ECMAScript regex when the model loads, and a bad
 * one fails the load; the ones people write (\., \d, (a|b), .*) read the same as POSIX
 * extended ones once \d is spelled [0-9] (as mem's estimate reads them, estimate.c) */
static bool pattern_compiles(const char *pattern, size_t n)
{
    char *buf = xmalloc(5 * n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (pattern[i] == '\\' && i + 1 < n && pattern[i + 1] == 'd') {
            memcpy(buf + k, "[0-9]", 5);
            k += 5;
            i++;
        } else {
            buf[k++] = pattern[i];
        }
    }
    buf[k] = '\0';
    regex_t re;
    bool ok = regcomp(&re, buf, REG_EXTENDED | REG_NOSUB) == 0;
    if (ok)
        regfree(&re);
    free(buf);
    return ok;
}

int flag_override_spec(const char *v, size_t max, char *err)
{
    if (!strcmp(v, "none"))
        return 0;
    if (strlen(v) >= max)
        return set_err(err, "value for -ot is too long");
    char *copy = xstrdup(v), *save = NULL;
    int ret = 0;
    for (char *t = strtok_r(copy, ";", &save); t && !ret; t = strtok_r(NULL, ";", &save)) {
        char *eq = strrchr(t, '=');
        if (!eq || eq == t || !eq[1])
            ret = set_err(err,
                          "invalid value '%s' for -ot (expected PATTERN=BUFFER_TYPE, "
                          "';'-separated)",
                          v);
        else if (!pattern_compiles(t, (size_t)(eq - t)))
            ret = set_err(err, "tensor override pattern '%.*s' is not a valid regex", (int)(eq - t),
                          t);
    }
    free(copy);
    return ret;
}
