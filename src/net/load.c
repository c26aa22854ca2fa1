/* Many streamed POSTs on one libcurl multi handle (see load.h), driven through its socket
 * interface on epoll. The events are parsed (sse.c) inside libcurl's write callback, so
 * the clock read there is when the bytes were read off the socket. The wait also watches
 * the signal self-pipe and wakes in time for the next due request, libcurl's timer, the
 * idle limits and the run's limit. */
#include "load.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../util/clock.h"
#include "../util/sig.h"
#include "../util/util.h"
#include "h1.h"
#include "lanes.h"
#include "sse.h"
#include "stream.h"

#define NETLOAD_MAX_EVENT (4u << 20)

/* one request in flight */
struct xfer {
    struct netload *l;
    size_t i;
    CURL *h;
    struct curl_slist *hd;
    struct netload_done d;
    struct net_stream s;            /* the answer as it comes (into d) */
    char curl_err[CURL_ERROR_SIZE]; /* libcurl's words for a failure (its error buffer) */
};

static int on_event(void *ud, const char *event, const char *data, size_t len, char *err)
{
    struct xfer *x = ud;
    (void)event;
    x->d.n_events++;
    struct netload *l = x->l;
    return l->on_event ? l->on_event(l->ud, x->i, data, len, x->s.last_ns, err) : 0;
}

static struct xfer *xfer_start(struct netload *l, CURLM *m, size_t i, uint64_t start)
{
    const struct netload_req *q = &l->reqs[i];
    struct xfer *x = xcalloc(1, sizeof(*x));
    x->l = l;
    x->i = i;
    x->h = curl_easy_init();
    if (!x->h) {
        free(x);
        return NULL;
    }
    sse_init(&x->s.sse, NETLOAD_MAX_EVENT, on_event, x);
    x->s.status = &x->d.status;
    x->s.content_type = x->d.content_type;
    x->s.content_type_n = sizeof(x->d.content_type);
    x->s.body = x->d.body;
    x->s.body_n = sizeof(x->d.body);
    x->hd = net_stream_headers(l->headers);
    struct curl_slist *t;
    if (q->id) {
        char *h = xasprintf("X-Request-Id: %s", q->id);
        if ((t = curl_slist_append(x->hd, h)))
            x->hd = t;
        free(h);
    }
    CURL *h = x->h;
    net_stream_setup(h, q->url, q->body, x->hd, l->connect_timeout_s, l->timeout_s, &x->s);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_PRIVATE, x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->curl_err);
    x->d.issue_ns = start + q->due_ns;
    x->d.sent = true;
    x->d.send_ns = x->s.last_ns = monotime_ns();
    if (curl_multi_add_handle(m, h) != CURLM_OK) {
        sse_release(&x->s.sse);
        curl_slist_free_all(x->hd);
        curl_easy_cleanup(h);
        free(x);
        return NULL;
    }
    return x;
}

/* x's end: its outcome from libcurl's result rc (or the loop's own stop: stop_kind with
 * stop_why), handed to on_done; x freed */
static void xfer_end(struct netload *l, CURLM *m, struct xfer *x, CURLcode rc,
                     enum qb_kind stop_kind, const char *stop_why)
{
    struct netload_done *d = &x->d;
    d->end_ns = monotime_ns();
    long st = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &st);
    d->status = st;
    d->kind = QB_KIND_RUNTIME;
    const char *url = l->reqs[x->i].url;
    const char *why = x->curl_err[0] ? x->curl_err : curl_easy_strerror(rc);
    if (stop_kind != QB_KIND_OK) {
        d->kind = stop_kind;
        set_err(d->err, "%s", stop_why);
    } else if (rc == CURLE_OK) {
        if (st >= 200 && st < 300) {
            d->cut = sse_pending(&x->s.sse);
            d->kind = QB_KIND_OK;
        } else {
            set_err(d->err, "HTTP %ld", st);
        }
    } else if (rc == CURLE_WRITE_ERROR && x->s.stopped) {
        set_err(d->err, "%s", x->s.cb_err);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        d->kind = QB_KIND_TIMEOUT;
        set_err(d->err, "'%s': %s (--timeout %g s)", url, why, l->timeout_s);
    } else {
        d->connect_failed = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST;
        if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
            d->kind = QB_KIND_INPUT;
        set_err(d->err, "'%s': %s", url, why);
    }
    curl_multi_remove_handle(m, x->h);
    if (l->on_done)
        l->on_done(l->ud, x->i, d);
    sse_release(&x->s.sse);
    curl_easy_cleanup(x->h);
    curl_slist_free_all(x->hd);
    free(x);
}

/* libcurl's socket interface on epoll: a wake-up touches only the sockets that have
 * something, not every transfer (curl_multi_perform walks them all: with hundreds in flight
 * that walk alone delays the reading by a millisecond) */
struct loop {
    int ep;
    long timer_ms; /* libcurl's timeout from when it was set; -1: none */
    uint64_t timer_set_ns;
};

static int on_socket(CURL *h, curl_socket_t fd, int what, void *ud, void *sockp)
{
    struct loop *lp = ud;
    (void)h;
    (void)sockp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(lp->ep, EPOLL_CTL_DEL, fd, NULL);
        return 0;
    }
    struct epoll_event ev = {0, {.fd = fd}};
    if (what & CURL_POLL_IN)
        ev.events |= EPOLLIN;
    if (what & CURL_POLL_OUT)
        ev.events |= EPOLLOUT;
    if (epoll_ctl(lp->ep, EPOLL_CTL_MOD, fd, &ev) < 0)
        epoll_ctl(lp->ep, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

static int on_timer(CURLM *m, long timeout_ms, void *ud)
{
    struct loop *lp = ud;
    (void)m;
    lp->timer_ms = timeout_ms;
    lp->timer_set_ns = monotime_ns();
    return 0;
}

int netload_run(struct netload *l, char *err)
{
    /* every target http://: our own client (h1load.c); https: libcurl's (and http too under
     * QB_TEST_LOAD_LIBCURL, so that the tests run this loop against the same fakes) */
    const char *force = getenv("QB_TEST_LOAD_LIBCURL");
    bool plain = !(force && *force);
    for (size_t i = 0; i < l->n && plain; i++)
        plain = !strncmp(l->reqs[i].url, "http://", 7);
    if (plain)
        return netload_run_h1(l, err);
    if (net_curl_init(err) < 0)
        return -1;
    struct loop lp = {epoll_create1(EPOLL_CLOEXEC), -1, 0};
    if (lp.ep < 0)
        return set_err(err, "epoll: %s", strerror(errno));
    CURLM *m = curl_multi_init();
    if (!m) {
        close(lp.ep);
        return set_err(err, "libcurl: cannot make a multi handle");
    }
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, &lp);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(m, CURLMOPT_TIMERDATA, &lp);
    if (sig_fd() >= 0) {
        struct epoll_event ev = {EPOLLIN, {.fd = sig_fd()}};
        epoll_ctl(lp.ep, EPOLL_CTL_ADD, sig_fd(), &ev);
    }
    struct netload_lanes ln;
    netload_lanes_init(l, &ln);
    const int n_lanes = ln.n;
    int *in_flight = ln.in_flight;
    const long total_cap = ln.total_cap;
    /* a connection kept for every request that may be in flight: no reconnect between them */
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, total_cap + 8);
    l->start_ns = monotime_ns();
    uint64_t start = l->start_ns;
    uint64_t limit_ns = l->max_duration_s > 0 ? start + (uint64_t)(l->max_duration_s * 1e9) : 0;
    uint64_t idle_ns = l->idle_timeout_s > 0 ? (uint64_t)(l->idle_timeout_s * 1e9) : 0;
    struct xfer **live = xcalloc(total_cap + 1, sizeof(*live)); /* in flight, unordered */
    int n_live = 0;
    l->max_in_flight = 0;
    int ret = 0;
    enum { MAX_EV = 256 };
    struct epoll_event evs[MAX_EV];
    uint64_t last_idle_check = start;
    for (;;) {
        uint64_t now = monotime_ns();
        const char *why = NULL;
        enum qb_kind stop = netload_stop_now(l, now, limit_ns, &why);
        if (stop) {
            while (n_live > 0) {
                struct xfer *x = live[--n_live];
                xfer_end(l, m, x, CURLE_OK, stop, why);
            }
            netload_lanes_drop(l, &ln, start, stop, why);
            break;
        }
        /* the requests due now, as far as their lane's cap allows */
        uint64_t next_due = UINT64_MAX;
        bool pending = false, added = false;
        for (int k = 0; k < n_lanes; k++) {
            long ti;
            while ((ti = netload_lane_take(l, &ln, k, start, now, &next_due, &pending)) >= 0) {
                size_t i = (size_t)ti;
                struct xfer *x = xfer_start(l, m, i, start);
                if (!x) {
                    netload_not_sent(l, i, start, QB_KIND_RUNTIME,
                                     "libcurl could not make a handle");
                    continue;
                }
                live[n_live++] = x;
                in_flight[k]++;
                added = true;
            }
        }
        if (n_live > l->max_in_flight)
            l->max_in_flight = n_live;
        if (n_live == 0 && !pending)
            break;
        int running = 0;
        if (added) /* start them now: libcurl connects and writes them at its timeout 0 */
            curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
        /* wait for a socket, libcurl's timer, the next due request, an idle limit, the end */
        now = monotime_ns();
        uint64_t wake = next_due;
        if (lp.timer_ms >= 0) {
            uint64_t t = lp.timer_set_ns + (uint64_t)lp.timer_ms * 1000000u;
            wake = t < wake ? t : wake;
        }
        if (limit_ns && limit_ns < wake)
            wake = limit_ns;
        if (idle_ns && n_live && last_idle_check + 100000000u < wake)
            wake = last_idle_check + 100000000u; /* the idle limits, checked ten times a second */
        int wait_ms = 1000;
        if (wake != UINT64_MAX) {
            uint64_t d = wake > now ? wake - now : 0;
            long w = (long)((d + 999999) / 1000000); /* rounded up: waking early only spins */
            wait_ms = w < wait_ms ? (int)w : wait_ms;
        }
        int ne = epoll_wait(lp.ep, evs, MAX_EV, wait_ms);
        for (int e = 0; e < ne; e++) {
            if (evs[e].data.fd == sig_fd())
                continue; /* the top of the loop sees it */
            int mask = 0;
            if (evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))
                mask |= CURL_CSELECT_IN;
            if (evs[e].events & EPOLLOUT)
                mask |= CURL_CSELECT_OUT;
            if (evs[e].events & EPOLLERR)
                mask |= CURL_CSELECT_ERR;
            curl_multi_socket_action(m, evs[e].data.fd, mask, &running);
        }
        now = monotime_ns();
        if (lp.timer_ms >= 0 && now >= lp.timer_set_ns + (uint64_t)lp.timer_ms * 1000000u) {
            lp.timer_ms = -1;
            curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        int left;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct xfer *x = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            CURLcode rc = msg->data.result;
            for (int j = 0; j < n_live; j++)
                if (live[j] == x) {
                    live[j] = live[--n_live];
                    break;
                }
            in_flight[l->reqs[x->i].lane]--;
            xfer_end(l, m, x, rc, QB_KIND_OK, NULL);
        }
        /* answers that went silent too long */
        if (idle_ns && now - last_idle_check >= 100000000u) {
            last_idle_check = now;
            for (int j = 0; j < n_live; j++) {
                struct xfer *x = live[j];
                if (now - x->s.last_ns < idle_ns)
                    continue;
                live[j--] = live[--n_live];
                in_flight[l->reqs[x->i].lane]--;
                char why_idle[160];
                snprintf(why_idle, sizeof(why_idle), "'%s': no byte came for %g s (idle timeout)",
                         l->reqs[x->i].url, l->idle_timeout_s);
                xfer_end(l, m, x, CURLE_OK, QB_KIND_TIMEOUT, why_idle);
            }
        }
    }
    while (n_live > 0) /* only after a multi handle failure */
        xfer_end(l, m, live[--n_live], CURLE_OK, QB_KIND_RUNTIME, "libcurl failed");
    free(live);
    netload_lanes_free(&ln);
    curl_multi_cleanup(m);
    close(lp.ep);
    return ret;
}

struct grab {
    char *body;
    size_t n, len;
};

static size_t grab_body(char *b, size_t size, size_t n, void *ud)
{
    struct grab *g = ud;
    size_t len = size * n;
    net_keep_start(g->body, g->n, &g->len, b, len);
    return len;
}

static int simple(const char *url, const char *json, const char *const *headers, double timeout_s,
                  long *status, char *body, size_t n, char *err)
{
    *status = 0;
    if (n)
        body[0] = '\0';
    if (net_curl_init(err) < 0)
        return -1;
    CURL *h = curl_easy_init();
    if (!h)
        return set_err(err, "libcurl: cannot make a handle");
    struct curl_slist *hd = NULL, *t;
    if (json && (t = curl_slist_append(hd, "Content-Type: application/json")))
        hd = t;
    for (const char *const *k = headers; k && *k; k++)
        if ((t = curl_slist_append(hd, *k)))
            hd = t;
    struct grab g = {body, n, 0};
    curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, net_ms(timeout_s));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "quantbench");
    if (json) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    }
    if (n) {
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, grab_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &g);
    }
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    int ret = 0;
    if (rc != CURLE_OK)
        ret = set_err(err, "'%s': %s", url, curl_easy_strerror(rc));
    curl_easy_cleanup(h);
    curl_slist_free_all(hd);
    return ret;
}

int netload_get(const char *url, const char *const *headers, double timeout_s, long *status,
                char *body, size_t n, char *err)
{
    return simple(url, NULL, headers, timeout_s, status, body, n, err);
}

int netload_post(const char *url, const char *json, const char *const *headers, double timeout_s,
                 long *status, char *body, size_t n, char *err)
{
    return simple(url, json, headers, timeout_s, status, body, n, err);
}
