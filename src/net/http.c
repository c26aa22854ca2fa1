/* HTTP over libcurl (see http.h); net/ alone includes curl/curl.h. The events are
 * parsed (sse.c) inside libcurl's write callback, so a caller's clock read in its event
 * callback is the time the bytes arrived. The request runs on a multi handle whose poll
 * also waits on the signal self-pipe (util/sig.h), so SIGINT / SIGTERM end it at once, and
 * wakes in time for the idle timeout. */
#include "http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/clock.h"
#include "../util/sig.h"
#include "../util/util.h"
#include "sse.h"
#include "stream.h"

struct http_client {
    CURL *h;
    CURLM *m; /* runs h; keeps its connection between requests */
};

struct http_client *http_client_new(char *err)
{
    if (net_curl_init(err) < 0)
        return NULL;
    CURL *h = curl_easy_init();
    CURLM *m = curl_multi_init();
    if (!h || !m) {
        curl_easy_cleanup(h);
        curl_multi_cleanup(m);
        set_err(err, "libcurl: cannot make a handle");
        return NULL;
    }
    struct http_client *c = xcalloc(1, sizeof(*c));
    c->h = h;
    c->m = m;
    return c;
}

void http_client_free(struct http_client *c)
{
    if (!c)
        return;
    curl_multi_cleanup(c->m);
    curl_easy_cleanup(c->h);
    free(c);
}

int http_url_check(const char *url, char *err)
{
    CURLU *u = curl_url();
    if (!u)
        return set_err(err, "libcurl: out of memory");
    char *scheme = NULL, *host = NULL, *query = NULL, *frag = NULL;
    int ret = -1;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc != CURLUE_OK) {
        set_err(err, "'%s': not a URL (%s)", url, curl_url_strerror(uc));
        goto out;
    }
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(u, CURLUPART_HOST, &host, 0);
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
    if (!scheme || (strcasecmp(scheme, "http") && strcasecmp(scheme, "https")))
        set_err(err, "'%s': not an http:// or https:// URL", url);
    else if (!host || !host[0])
        set_err(err, "'%s': no host", url);
    else if (query || frag)
        set_err(err, "'%s': a server's URL has no query or fragment", url);
    else
        ret = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(query);
    curl_free(frag);
    curl_url_cleanup(u);
    return ret;
}

/* one request's state, shared by libcurl's callbacks */
struct xfer {
    const struct http_post *p;
    struct http_result *r;
    struct net_stream s; /* the answer as it comes (into r) */
};

static int on_event(void *ud, const char *event, const char *data, size_t len, char *err)
{
    struct xfer *x = ud;
    x->r->n_events++;
    return x->p->on_event ? x->p->on_event(x->p->ud, event, data, len, err) : 0;
}

/* the transfer of x on c's multi handle to its end, or until a signal or the idle limit
 * (*stop_kind then, and CURLE_ABORTED_BY_CALLBACK); libcurl's result */
static CURLcode run(struct http_client *c, const struct http_post *p, struct xfer *x,
                    enum qb_kind *stop_kind)
{
    CURLcode rc = CURLE_OK;
    if (curl_multi_add_handle(c->m, c->h) != CURLM_OK)
        return CURLE_FAILED_INIT;
    int running = 1;
    while (running) {
        CURLMcode mc = curl_multi_perform(c->m, &running);
        if (mc != CURLM_OK) {
            rc = CURLE_FAILED_INIT;
            break;
        }
        if (!running)
            break;
        uint64_t now = monotime_ns();
        double idle_s = (double)(now - x->s.last_ns) / 1e9;
        if (sig_caught() || (p->idle_timeout_s > 0 && idle_s >= p->idle_timeout_s)) {
            *stop_kind = sig_caught() ? QB_KIND_INTERRUPTED : QB_KIND_TIMEOUT;
            rc = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        int wait_ms = 1000;
        if (p->idle_timeout_s > 0 && (p->idle_timeout_s - idle_s) * 1000 + 1 < wait_ms)
            wait_ms = (int)((p->idle_timeout_s - idle_s) * 1000) + 1;
        struct curl_waitfd w = {sig_fd(), CURL_WAIT_POLLIN, 0};
        curl_multi_poll(c->m, w.fd >= 0 ? &w : NULL, w.fd >= 0 ? 1 : 0, wait_ms, NULL);
    }
    if (rc == CURLE_OK) {
        int left;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(c->m, &left)))
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == c->h)
                rc = msg->data.result;
    }
    curl_multi_remove_handle(c->m, c->h);
    return rc;
}

int http_post_events(struct http_client *c, const struct http_post *p, struct http_result *r,
                     char *err)
{
    memset(r, 0, sizeof(*r));
    r->kind = QB_KIND_RUNTIME;
    CURL *h = c->h;
    struct xfer x;
    memset(&x, 0, sizeof(x));
    x.p = p;
    x.r = r;
    sse_init(&x.s.sse, HTTP_MAX_EVENT, on_event, &x);
    x.s.status = &r->status;
    x.s.content_type = r->content_type;
    x.s.content_type_n = sizeof(r->content_type);
    x.s.body = r->body;
    x.s.body_n = sizeof(r->body);
    struct curl_slist *hd = net_stream_headers(p->headers);
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_reset(h); /* settings of the last request gone; its connection kept */
    net_stream_setup(h, p->url, p->body, hd, p->connect_timeout_s, p->timeout_s, &x.s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    r->sent_ns = x.s.last_ns = monotime_ns();
    enum qb_kind stop_kind = QB_KIND_OK;
    CURLcode rc = run(c, p, &x, &stop_kind);
    r->stopped = x.s.stopped;
    long st = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
    r->status = st;
    int ret = -1;
    const char *why = cerr[0] ? cerr : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_OK:
        if (st >= 200 && st < 300) {
            r->cut = sse_pending(&x.s.sse);
            r->kind = QB_KIND_OK;
            ret = 0;
        } else {
            set_err(err, "HTTP %ld", st);
        }
        break;
    case CURLE_WRITE_ERROR:
        if (r->stopped)
            set_err(err, "%s", x.s.cb_err);
        else
            set_err(err, "'%s': %s", p->url, why);
        break;
    case CURLE_ABORTED_BY_CALLBACK: /* our loop's stop */
        r->kind = stop_kind;
        if (stop_kind == QB_KIND_INTERRUPTED)
            set_err(err, "interrupted");
        else
            set_err(err, "'%s': no byte came for %g s (idle timeout)", p->url, p->idle_timeout_s);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        r->kind = QB_KIND_TIMEOUT;
        set_err(err, "'%s': %s", p->url, why);
        break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        r->kind = QB_KIND_INPUT;
        set_err(err, "'%s': %s", p->url, why);
        break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        r->connect_failed = true;
        set_err(err, "'%s': %s", p->url, why);
        break;
    default: set_err(err, "'%s': %s", p->url, why); break;
    }
    /* libcurl's handle must not keep pointers to this frame */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hd);
    sse_release(&x.s.sse);
    return ret;
}
