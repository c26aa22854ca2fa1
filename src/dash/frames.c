/* The log of Server-Sent Events frames (see frames.h). */
#include "frames.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

void dash_frames_free(struct dash_frames *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->f[i].text);
    free(l->f);
    memset(l, 0, sizeof(*l));
}

static int int_item(const cJSON *o, const char *key, int64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 9007199254740992.0 ||
        it->valuedouble != (double)(int64_t)it->valuedouble)
        return -1;
    *out = (int64_t)it->valuedouble;
    return 0;
}

int dash_frames_add(struct dash_frames *l, const cJSON *event, char *err)
{
    int64_t id, run;
    if (int_item(event, "id", &id) < 0 || int_item(event, "run_id", &run) < 0)
        return set_err(err, "event without an integer id and run_id");
    if (id <= l->last_id)
        return 0;
    /* cJSON writes a string's newlines as \n: the data is one line, as SSE needs */
    char *json = cJSON_PrintUnformatted(event);
    if (!json)
        return set_err(err, "event %lld: out of memory", (long long)id);
    char *text = xasprintf("id: %lld\ndata: %s\n\n", (long long)id, json);
    cJSON_free(json);
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->f = xrealloc(l->f, l->cap * sizeof(*l->f));
    }
    struct dash_frame *f = &l->f[l->n++];
    f->id = id;
    f->run = run;
    f->start = l->bytes;
    f->len = strlen(text);
    f->text = text;
    l->bytes += f->len;
    l->last_id = id;
    return 0;
}

size_t dash_frames_find(const struct dash_frames *l, int64_t after_id)
{
    size_t lo = 0, hi = l->n; /* ids increase: the first with id > after_id */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->f[mid].id <= after_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t dash_frames_copy(const struct dash_frames *l, int64_t run, size_t *pos, size_t *off,
                        char *buf, size_t max)
{
    size_t n = 0;
    while (*pos < l->n && n < max) {
        const struct dash_frame *f = &l->f[*pos];
        if (*off == 0 && run && f->run != run) {
            (*pos)++;
            continue;
        }
        size_t k = f->len - *off;
        if (k > max - n)
            k = max - n;
        memcpy(buf + n, f->text + *off, k);
        n += k;
        *off += k;
        if (*off == f->len) {
            (*pos)++;
            *off = 0;
        }
    }
    return n;
}

size_t dash_frames_behind(const struct dash_frames *l, size_t pos, size_t off)
{
    if (pos >= l->n)
        return 0;
    return l->bytes - l->f[pos].start - off;
}

int dash_frames_parse_id(const char *s, int64_t *id)
{
    if (!s)
        return -1;
    while (*s == ' ' || *s == '\t')
        s++;
    const char *e = s;
    while (isdigit((unsigned char)*e))
        e++;
    const char *t = e;
    while (*t == ' ' || *t == '\t')
        t++;
    if (e == s || *t || e - s > 19)
        return -1;
    char num[24];
    memcpy(num, s, (size_t)(e - s));
    num[e - s] = '\0';
    return parse_i64(num, 0, INT64_MAX, id);
}
