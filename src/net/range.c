/* A byte range over HTTP (see range.h). */
#include "range.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/sig.h"
#include "../util/util.h"
#include "http.h"

/* one request's state, shared by libcurl's callbacks */
struct rx {
    const struct http_range *r;
    unsigned char *buf;
    size_t got;
    uint64_t pos;    /* body bytes seen, counted from the answer's first byte */
    uint64_t start;  /* the file offset of the body's first byte (Content-Range) */
    uint64_t total;  /* the file's size, UINT64_MAX unknown */
    uint64_t length; /* Content-Length, UINT64_MAX none */
    long status;     /* the status line of the answer being read */
    bool done;       /* the range is in: the transfer was cut on purpose */
    bool have_crange;
};

static size_t on_header(char *b, size_t size, size_t n, void *ud)
{
    struct rx *x = ud;
    size_t len = size * n;
    char line[256];
    size_t k = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
    memcpy(line, b, k);
    line[k] = '\0';
    unsigned long long a, z, t;
    if (!strncmp(line, "HTTP/", 5)) { /* a new answer (after a redirect): start over */
        const char *sp = strchr(line, ' ');
        x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->have_crange = false;
        x->start = 0;
        x->length = UINT64_MAX;
    } else if (!strncasecmp(line, "Content-Range:", 14)) {
        const char *v = line + 14;
        while (*v == ' ')
            v++;
        if (sscanf(v, "bytes %llu-%llu/%llu", &a, &z, &t) == 3) {
            x->start = a;
            x->total = t;
            x->have_crange = true;
        } else if (sscanf(v, "bytes */%llu", &t) == 1) {
            x->total = t;
        }
    } else if (!strncasecmp(line, "Content-Length:", 15)) {
        x->length = strtoull(line + 15, NULL, 10);
    }
    return len;
}

static size_t on_body(char *b, size_t size, size_t n, void *ud)
{
    struct rx *x = ud;
    size_t len = size * n;
    if (x->status < 200 || x->status >= 300)
        return len; /* an error's body: not ours */
    /* the file offset of b[0]: a 206 starts at its Content-Range, a 200 at 0 */
    uint64_t at = (x->have_crange ? x->start : 0) + x->pos;
    x->pos += len;
    uint64_t want_lo = x->r->offset + x->got, want_hi = x->r->offset + x->r->n;
    if (at + len > want_lo && at < want_hi) {
        uint64_t from = want_lo > at ? want_lo - at : 0;
        uint64_t to = at + len < want_hi ? len : want_hi - at;
        memcpy(x->buf + x->got, b + from, (size_t)(to - from));
        x->got += (size_t)(to - from);
    }
    if (x->r->offset + x->got >= want_hi) {
        x->done = true;
        return 0; /* the rest is not wanted: a server that ignored Range sends it all */
    }
    return len;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)ud, (void)a, (void)b, (void)c, (void)d;
    return sig_caught() ? 1 : 0;
}

int http_get_range(const struct http_range *r, void *buf, size_t *got, uint64_t *file_size,
                   uint64_t *wire, enum qb_kind *kind, char *err)
{
    *got = 0;
    *wire = 0;
    *file_size = UINT64_MAX;
    *kind = QB_KIND_INPUT;
    char uerr[QB_ERR_LEN];
    if (strncasecmp(r->url, "http://", 7) && strncasecmp(r->url, "https://", 8))
        return set_err(err, "'%s': not an http:// or https:// URL", r->url);
    struct http_client *once = http_client_new(uerr); /* libcurl's global set-up */
    if (!once) {
        *kind = QB_KIND_RUNTIME;
        return set_err(err, "%s", uerr);
    }
    http_client_free(once);
    CURL *h = curl_easy_init();
    if (!h) {
        *kind = QB_KIND_RUNTIME;
        return set_err(err, "libcurl: cannot make a handle");
    }
    struct rx x = {.r = r, .buf = buf, .total = UINT64_MAX, .length = UINT64_MAX};
    struct curl_slist *hd = NULL;
    for (const char *const *p = r->headers; p && *p; p++)
        hd = curl_slist_append(hd, *p);
    char range[64], cerr[CURL_ERROR_SIZE] = "";
    snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, r->offset,
             r->offset + (r->n ? r->n : 1) - 1);
    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_RANGE, range);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "quantbench");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)(r->timeout_s > 0 ? r->timeout_s : 120));
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    CURLcode rc = curl_easy_perform(h);
    long st = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
    curl_easy_cleanup(h);
    curl_slist_free_all(hd);
    *wire = x.pos;
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        *kind = QB_KIND_INTERRUPTED;
        return set_err(err, "interrupted");
    }
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && x.done)) {
        *kind = rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT ? QB_KIND_INPUT
                                                                              : QB_KIND_RUNTIME;
        if (rc == CURLE_OPERATION_TIMEDOUT)
            *kind = QB_KIND_TIMEOUT;
        return set_err(err, "'%s': %s", r->url, cerr[0] ? cerr : curl_easy_strerror(rc));
    }
    if (st == 416) /* the range starts past the end */
        return set_err(err, "'%s': HTTP 416: bytes from %" PRIu64 " are past the end of the file",
                       r->url, r->offset);
    if (st < 200 || st >= 300) {
        *kind = st == 404 || st == 401 || st == 403 || st == 410 ? QB_KIND_INPUT : QB_KIND_RUNTIME;
        return set_err(err, "'%s': HTTP %ld", r->url, st);
    }
    *got = x.got;
    *file_size = x.have_crange ? x.total : x.length;
    *kind = QB_KIND_OK;
    return 0;
}
