/* An HTTP/1.1 answer from bytes (see h1.h). */
#include "h1.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "../util/util.h"

void h1_init(struct h1_answer *a, int (*on_body)(void *ud, const char *b, size_t n, char *err),
             void *ud)
{
    memset(a, 0, sizeof(*a));
    a->on_body = on_body;
    a->ud = ud;
    a->state = H1_STATUS;
}

static int fail(struct h1_answer *a, char *err, const char *what)
{
    a->state = H1_FAILED;
    return set_err(err, "a malformed HTTP answer: %s", what);
}

/* "HTTP/1.x NNN reason" */
static int status_line(struct h1_answer *a, char *err)
{
    const char *l = a->line;
    if (a->line_len < 12 || strncmp(l, "HTTP/1.", 7) || !isdigit((unsigned char)l[7]) ||
        l[8] != ' ' || !isdigit((unsigned char)l[9]) || !isdigit((unsigned char)l[10]) ||
        !isdigit((unsigned char)l[11]) || (a->line_len > 12 && l[12] != ' '))
        return fail(a, err, "no status line");
    a->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
    a->close = l[7] == '0';
    a->chunked = a->has_length = false;
    a->content_type[0] = '\0';
    a->state = H1_HEADERS;
    return 0;
}

/* the value of header "name:" in the line, trimmed, or NULL */
static const char *header(struct h1_answer *a, const char *name, size_t *len)
{
    size_t n = strlen(name);
    if (a->line_len <= n || strncasecmp(a->line, name, n) || a->line[n] != ':')
        return NULL;
    const char *v = a->line + n + 1, *e = a->line + a->line_len;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *len = (size_t)(e - v);
    return v;
}

static int header_line(struct h1_answer *a, char *err)
{
    if (a->line_len == 0) { /* the headers' end */
        if (a->status < 200) {
            a->state = H1_STATUS; /* 1xx: the real answer follows */
            return 0;
        }
        if (a->status == 204 || a->status == 304 || (a->has_length && a->left == 0 && !a->chunked))
            a->state = H1_DONE;
        else
            a->state = a->chunked ? H1_SIZE : a->has_length ? H1_LENGTH : H1_TO_EOF;
        if (a->state == H1_TO_EOF)
            a->close = true; /* the body's end is the connection's */
        return 0;
    }
    if (a->line[0] == ' ' || a->line[0] == '\t')
        return fail(a, err, "a folded header line");
    size_t n;
    const char *v;
    if ((v = header(a, "Content-Type", &n))) {
        if (n >= sizeof(a->content_type))
            n = sizeof(a->content_type) - 1;
        memcpy(a->content_type, v, n);
        a->content_type[n] = '\0';
    } else if ((v = header(a, "Content-Length", &n))) {
        uint64_t x = 0;
        if (n == 0 || n > 18)
            return fail(a, err, "a bad Content-Length");
        for (size_t k = 0; k < n; k++) {
            if (!isdigit((unsigned char)v[k]))
                return fail(a, err, "a bad Content-Length");
            x = x * 10 + (uint64_t)(v[k] - '0');
        }
        if (a->has_length && x != a->left)
            return fail(a, err, "two Content-Lengths");
        a->has_length = true;
        a->left = x;
    } else if ((v = header(a, "Transfer-Encoding", &n))) {
        if (n >= 7 && !strncasecmp(v + n - 7, "chunked", 7))
            a->chunked = true;
        else
            return fail(a, err, "a Transfer-Encoding other than chunked");
    } else if ((v = header(a, "Connection", &n))) {
        if (n == 5 && !strncasecmp(v, "close", 5))
            a->close = true;
    } else if (!memchr(a->line, ':', a->line_len)) {
        return fail(a, err, "a header line without a colon");
    }
    return 0;
}

/* a chunk's size line: hex digits, then maybe ";extensions" */
static int size_line(struct h1_answer *a, char *err)
{
    uint64_t x = 0;
    size_t k = 0;
    for (; k < a->line_len && isxdigit((unsigned char)a->line[k]); k++) {
        if (k >= 15)
            return fail(a, err, "a chunk size too large");
        int c = a->line[k];
        x = x * 16 + (uint64_t)(isdigit(c) ? c - '0' : (c | 32) - 'a' + 10);
    }
    while (k < a->line_len && (a->line[k] == ' ' || a->line[k] == '\t'))
        k++;
    if (k == 0 || (k < a->line_len && a->line[k] != ';'))
        return fail(a, err, "a bad chunk size");
    a->left = x;
    a->state = x ? H1_DATA : H1_TRAILERS;
    return 0;
}

static int body(struct h1_answer *a, const char *b, size_t n, char *err)
{
    if (n && a->on_body && a->on_body(a->ud, b, n, err) < 0) {
        a->stopped = true;
        a->state = H1_FAILED;
        return -1;
    }
    return 0;
}

int h1_feed(struct h1_answer *a, const char *b, size_t n, size_t *used, char *err)
{
    size_t i = 0;
    int rc = 0;
    while (i < n && rc == 0 && a->state != H1_DONE && a->state != H1_FAILED) {
        switch (a->state) {
        case H1_LENGTH:
        case H1_DATA: {
            size_t k = n - i < a->left ? n - i : (size_t)a->left;
            if ((rc = body(a, b + i, k, err)) < 0)
                break;
            i += k;
            if ((a->left -= k) == 0)
                a->state = a->state == H1_DATA ? H1_DATA_END : H1_DONE;
            break;
        }
        case H1_TO_EOF:
            rc = body(a, b + i, n - i, err);
            i = n;
            break;
        default: { /* a line: status, header, size, the CRLF after data, trailer */
            const char *nl = memchr(b + i, '\n', n - i);
            size_t k = nl ? (size_t)(nl - (b + i)) : n - i;
            if (a->line_len + k >= sizeof(a->line))
                return fail(a, err, "a line too long");
            memcpy(a->line + a->line_len, b + i, k);
            a->line_len += k;
            i += k;
            if (!nl)
                break;
            i++;
            if (a->line_len && a->line[a->line_len - 1] == '\r')
                a->line_len--;
            a->line[a->line_len] = '\0';
            if (a->state == H1_STATUS)
                rc = a->line_len == 0 && a->status == 0 ? 0 : status_line(a, err);
            else if (a->state == H1_HEADERS)
                rc = header_line(a, err);
            else if (a->state == H1_SIZE)
                rc = size_line(a, err);
            else if (a->state == H1_DATA_END)
                rc = a->line_len ? fail(a, err, "no line end after a chunk")
                                 : (a->state = H1_SIZE, 0);
            else if (a->line_len == 0) /* H1_TRAILERS: a blank line ends them */
                a->state = H1_DONE;
            a->line_len = 0;
        }
        }
    }
    *used = i;
    if (rc < 0 || a->state == H1_FAILED)
        return -1;
    return a->state == H1_DONE;
}

int h1_eof(struct h1_answer *a, char *err)
{
    if (a->state == H1_TO_EOF) {
        a->state = H1_DONE;
        return 1;
    }
    if (a->state == H1_DONE)
        return 1;
    set_err(err, "%s", a->status ? "the answer ended before its end" : "no answer");
    return 0;
}
