/* Server-sent events from bytes (see sse.h). */
#include "sse.h"

#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

void sse_init(struct sse_parser *s, size_t max,
              int (*on_event)(void *ud, const char *event, const char *data, size_t len, char *err),
              void *ud)
{
    memset(s, 0, sizeof(*s));
    s->max = max;
    s->on_event = on_event;
    s->ud = ud;
}

void sse_release(struct sse_parser *s)
{
    free(s->line);
    free(s->data);
    s->line = s->data = NULL;
    s->line_len = s->line_cap = s->data_len = s->data_cap = 0;
}

bool sse_pending(const struct sse_parser *s)
{
    return s->line_len > 0 || s->has_data;
}

static void grow(char **b, size_t *cap, size_t need)
{
    if (need > *cap) {
        *cap = need * 2 + 256;
        *b = xrealloc(*b, *cap);
    }
}

/* the blank line: the event, when it has data (its last LF dropped) */
static int dispatch(struct sse_parser *s, char *err)
{
    bool had = s->has_data;
    s->has_data = false;
    if (!had) {
        s->event[0] = '\0';
        return 0;
    }
    size_t n = s->data_len ? s->data_len - 1 : 0;
    grow(&s->data, &s->data_cap, n + 1);
    s->data[n] = '\0';
    s->data_len = 0;
    s->n_events++;
    int rc = s->on_event ? s->on_event(s->ud, s->event, s->data, n, err) : 0;
    s->event[0] = '\0';
    return rc;
}

/* one whole line l[0..n), no terminator */
static int take_line(struct sse_parser *s, const char *l, size_t n, char *err)
{
    if (s->n_lines++ == 0 && n >= 3 && !memcmp(l, "\xef\xbb\xbf", 3)) {
        l += 3; /* a byte-order mark opens the stream */
        n -= 3;
    }
    if (n == 0)
        return dispatch(s, err);
    if (l[0] == ':')
        return 0; /* a comment (llama-server's keep-alive ping is one) */
    const char *colon = memchr(l, ':', n);
    size_t fl = colon ? (size_t)(colon - l) : n;
    const char *v = colon ? colon + 1 : l + n;
    size_t vl = (size_t)(l + n - v);
    if (vl && v[0] == ' ') {
        v++;
        vl--;
    }
    if (fl == 4 && !memcmp(l, "data", 4)) {
        if (s->data_len + vl + 1 > s->max)
            return set_err(err, "an event of more than %zu bytes", s->max);
        grow(&s->data, &s->data_cap, s->data_len + vl + 2);
        memcpy(s->data + s->data_len, v, vl);
        s->data_len += vl;
        s->data[s->data_len++] = '\n';
        s->has_data = true;
    } else if (fl == 5 && !memcmp(l, "event", 5)) {
        size_t k = vl < sizeof(s->event) - 1 ? vl : sizeof(s->event) - 1;
        memcpy(s->event, v, k);
        s->event[k] = '\0';
    }
    return 0;
}

int sse_feed(struct sse_parser *s, const char *b, size_t n, char *err)
{
    if (s->failed)
        return set_err(err, "the event stream failed before");
    size_t i = 0;
    const char *lf = NULL; /* the next LF from where we are (searched once per LF passed) */
    bool lf_known = false;
    while (i < n) {
        if (s->after_cr) {
            s->after_cr = false;
            if (b[i] == '\n') { /* the LF of a CRLF */
                i++;
                continue;
            }
        }
        /* the line up to its end (LF, CR or CRLF), or the rest of b: kept for the next */
        const char *p = b + i;
        if (!lf_known || (lf && lf < p)) {
            lf = memchr(p, '\n', n - i);
            lf_known = true;
        }
        size_t k = lf ? (size_t)(lf - p) : n - i;
        const char *cr = memchr(p, '\r', k);
        if (cr)
            k = (size_t)(cr - p);
        if (s->line_len + k > s->max) {
            s->failed = true;
            return set_err(err, "a line of more than %zu bytes in the event stream", s->max);
        }
        if (!lf && !cr) {
            grow(&s->line, &s->line_cap, s->line_len + k + 1);
            memcpy(s->line + s->line_len, p, k);
            s->line_len += k;
            break;
        }
        int rc;
        if (s->line_len) { /* its start came before */
            grow(&s->line, &s->line_cap, s->line_len + k + 1);
            memcpy(s->line + s->line_len, p, k);
            size_t len = s->line_len + k;
            s->line_len = 0;
            rc = take_line(s, s->line, len, err);
        } else {
            rc = take_line(s, p, k, err);
        }
        if (rc < 0) {
            s->failed = true;
            return -1;
        }
        s->after_cr = p[k] == '\r';
        i += k + 1;
    }
    return 0;
}
