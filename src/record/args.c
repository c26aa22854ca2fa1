/* Comma lists and ranges (see args.h). */
#include "args.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

void int_list_push(struct int_list *l, int v)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = xrealloc(l->v, l->cap * sizeof(int));
    }
    l->v[l->n++] = v;
}

static int item(struct int_list *l, const char *flag, const char *it, int min, int max, char *err)
{
    int64_t a, b, s = 1;
    char op = '+';
    /* a range has a '-' after the first character (a leading '-' is a sign) */
    const char *dash = *it ? strchr(it + 1, '-') : NULL;
    if (!dash) {
        if (parse_i64(it, min, max, &a) < 0)
            return set_err(err, "invalid value '%s' for %s (expected an integer in %d..%d)", it,
                           flag, min, max);
        if (l->n >= INT_LIST_MAX)
            return set_err(err, "too many values for %s (at most %d)", flag, INT_LIST_MAX);
        int_list_push(l, (int)a);
        return 0;
    }
    char *lo = xstrndup(it, (size_t)(dash - it));
    const char *rest = dash + 1;
    const char *stepc = strpbrk(rest, "+*");
    char *hi = xstrndup(rest, stepc ? (size_t)(stepc - rest) : strlen(rest));
    int bad = parse_i64(lo, min, max, &a) < 0 || parse_i64(hi, min, max, &b) < 0;
    if (!bad && stepc) {
        op = *stepc;
        bad = parse_i64(stepc + 1, 1, INT32_MAX, &s) < 0 || (op == '*' && s < 2);
    }
    free(lo);
    free(hi);
    if (bad)
        return set_err(err,
                       "invalid range '%s' for %s (forms: a-b, a-b+step, a-b*mult; values "
                       "in %d..%d)",
                       it, flag, min, max);
    if (op == '*' && a <= 0)
        return set_err(err, "invalid range '%s' for %s: a multiplied range must start above 0", it,
                       flag);
    /* count first, expand after: 1-16777216 is refused before anything is allocated */
    int64_t count = 0;
    if (op == '+')
        count = b < a ? 0 : (b - a) / s + 1;
    else
        for (int64_t v = a; v <= b; v *= s) /* at most 31 steps: v doubles at least */
            count++;
    if (count == 0)
        return set_err(err, "range '%s' for %s expands to nothing", it, flag);
    if (count > INT_LIST_MAX)
        return set_err(err, "range '%s' for %s expands to more than %d values", it, flag,
                       INT_LIST_MAX);
    if ((int64_t)l->n + count > INT_LIST_MAX)
        return set_err(err, "too many values for %s (at most %d)", flag, INT_LIST_MAX);
    for (int64_t v = a, k = 0; k < count; k++, v = op == '+' ? v + s : v * s)
        int_list_push(l, (int)v);
    return 0;
}

int int_list_parse(struct int_list *l, const char *flag, const char *spec, int min, int max,
                   char *err)
{
    if (!spec || !*spec)
        return set_err(err, "empty value for %s", flag);
    char *copy = xstrdup(spec);
    int ret = 0;
    char *p = copy;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!*p) {
            ret = set_err(err, "empty item in '%s' for %s", spec, flag);
            break;
        }
        if (item(l, flag, p, min, max, err) < 0) {
            ret = -1;
            break;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    free(copy);
    return ret;
}

void int_list_release(struct int_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
    l->cap = 0;
}

void str_list_add(struct str_list *l, const char *s)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof(char *));
    l->v[l->n++] = xstrdup(s);
}

void str_list_split(struct str_list *l, const char *spec, char sep)
{
    const char *p = spec;
    while (*p) {
        const char *e = strchr(p, sep);
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n) {
            char *s = xstrndup(p, n);
            str_list_add(l, s);
            free(s);
        }
        if (!e)
            break;
        p = e + 1;
    }
}

int str_list_parse(struct str_list *l, const char *flag, const char *spec, char *err)
{
    size_t n = 1;
    for (const char *p = spec; *p; p++)
        n += *p == ',';
    if (l->n + n > INT_LIST_MAX)
        return set_err(err, "too many values for %s (at most %d)", flag, INT_LIST_MAX);
    str_list_split(l, spec, ',');
    return 0;
}

void str_list_release(struct str_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int grid_check(const struct grid_dim *dims, size_t n_dims, const char *what, char *err)
{
    uint64_t total = 1;
    double approx = 1; /* shown when the exact product does not fit 64 bits */
    bool over = false;
    for (size_t i = 0; i < n_dims; i++) {
        uint64_t n = dims[i].n ? dims[i].n : 1; /* a flag not given has its one default */
        approx *= (double)n;
        if (total > UINT64_MAX / n)
            over = true;
        else
            total *= n;
    }
    if (!over && total <= GRID_MAX)
        return 0;
    char count[32], factors[QB_ERR_LEN / 2] = "";
    if (over)
        snprintf(count, sizeof(count), "%.3g", approx);
    else
        snprintf(count, sizeof(count), "%llu", (unsigned long long)total);
    size_t k = 0;
    for (size_t i = 0; i < n_dims && k + 1 < sizeof(factors); i++) {
        if (dims[i].n < 2)
            continue;
        int w = snprintf(factors + k, sizeof(factors) - k, "%s%s %llu", k ? " x " : "",
                         dims[i].flag, (unsigned long long)dims[i].n);
        if (w < 0)
            break;
        k += (size_t)w;
    }
    if (k >= sizeof(factors))
        k = sizeof(factors) - 1;
    return set_err(err, "the grid %s has %s %s, more than the cap of %d", factors, count, what,
                   GRID_MAX);
}

bool ngl_too_many(int ngl, long long n_layer)
{
    return n_layer > 0 && ngl > n_layer + 1 && ngl < NGL_ALL_SPELLING;
}
