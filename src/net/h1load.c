/* load.h's loop on our own HTTP/1.1 client, for http:// targets (net/load.c hands them
 * here; https stays on libcurl): non-blocking sockets on epoll, kept alive between a
 * target's requests, each answer read by h1.c and its body by sse.c. Every read takes the
 * kernel's receive stamp (SO_TIMESTAMPNS), so an event's time is when its bytes reached
 * the socket, not when we got round to it: that lets the loop wake at most once per
 * H1_WINDOW_NS and read every socket that has data then, instead of a wake-up per chunk. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../util/clock.h"
#include "../util/sig.h"
#include "../util/util.h"
#include "h1.h"
#include "lanes.h"
#include "load.h"
#include "sse.h"
#include "stream.h"

#define H1_MAX_EVENT (4u << 20)
#define H1_WINDOW_NS 1000000u /* the least time between two wake-ups: under any ITL we time */
#define H1_MAX_HOSTS 16

/* a target's address, resolved once */
struct h1_host {
    char host[256]; /* as in the URL, for Host: and messages */
    char port[8];
    struct sockaddr_storage sa;
    socklen_t sa_len;
    int *idle; /* connections kept alive, not in use */
    int n_idle;
};

struct h1x {
    size_t i;
    int fd;
    int slot; /* its place in the loop's live[]; -1 once ended */
    struct h1_host *h;
    bool connecting, reused, retried, got_byte, in_ep;
    char *req; /* the request's bytes */
    size_t req_len, req_off;
    struct netload_done d;
    struct h1_answer a;
    struct sse_parser sse;
    uint64_t last_ns; /* the last byte's arrival (or the send) */
    size_t body_len;
    char cb_err[QB_ERR_LEN];
};

static struct netload *cur; /* the run's, for the callbacks */

static int on_event(void *ud, const char *event, const char *data, size_t len, char *err)
{
    struct h1x *x = ud;
    (void)event;
    x->d.n_events++;
    return cur->on_event ? cur->on_event(cur->ud, x->i, data, len, x->last_ns, err) : 0;
}

static int on_body(void *ud, const char *b, size_t n, char *err)
{
    struct h1x *x = ud;
    if (!x->d.status) {
        x->d.status = x->a.status;
        snprintf(x->d.content_type, sizeof(x->d.content_type), "%s", x->a.content_type);
    }
    if (x->a.status >= 200 && x->a.status < 300) {
        if (sse_feed(&x->sse, b, n, x->cb_err) < 0) {
            set_err(err, "%s", x->cb_err);
            return -1;
        }
        return 0;
    }
    net_keep_start(x->d.body, sizeof(x->d.body), &x->body_len, b, n);
    return 0;
}

/* url "http://HOST[:PORT]/PATH": its host entry (resolved on first use) and path */
static struct h1_host *host_of(struct h1_host *hs, int *n_hs, const char *url, const char **path,
                               char *err)
{
    const char *p = url + 7, *e = p + strcspn(p, "/");
    *path = *e ? e : "/";
    char host[256], port[8] = "80";
    const char *colon = NULL;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(e - p));
        if (!rb)
            return set_err(err, "'%s': a bad host", url), NULL;
        snprintf(host, sizeof(host), "%.*s", (int)(rb - p - 1), p + 1);
        colon = rb + 1 < e && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(e - p));
        snprintf(host, sizeof(host), "%.*s", (int)((colon ? colon : e) - p), p);
    }
    if (colon && e - colon > 1 && e - colon < 7)
        snprintf(port, sizeof(port), "%.*s", (int)(e - colon - 1), colon + 1);
    for (int k = 0; k < *n_hs; k++)
        if (!strcmp(hs[k].host, host) && !strcmp(hs[k].port, port))
            return &hs[k];
    if (*n_hs >= H1_MAX_HOSTS)
        return set_err(err, "'%s': more than %d targets", url, H1_MAX_HOSTS), NULL;
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0 || !ai)
        return set_err(err, "'%s': Could not resolve host: %s", url, host), NULL;
    struct h1_host *h = &hs[(*n_hs)++];
    memset(h, 0, sizeof(*h));
    snprintf(h->host, sizeof(h->host), "%s", host);
    snprintf(h->port, sizeof(h->port), "%s", port);
    memcpy(&h->sa, ai->ai_addr, ai->ai_addrlen);
    h->sa_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return h;
}

static int ep_set(int ep, struct h1x *x, uint32_t events)
{
    struct epoll_event ev = {events, {.ptr = x}};
    int rc = epoll_ctl(ep, x->in_ep ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, x->fd, &ev);
    x->in_ep = rc == 0;
    return rc;
}

/* a connection for x: a kept one, else a new one being made */
static int h1_connect(int ep, struct h1x *x, bool fresh)
{
    struct h1_host *h = x->h;
    x->reused = !fresh && h->n_idle > 0;
    if (x->reused) {
        x->fd = h->idle[--h->n_idle];
        x->connecting = false;
    } else {
        x->fd = socket(h->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (x->fd < 0)
            return -1;
        int one = 1;
        setsockopt(x->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(x->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
        x->connecting = connect(x->fd, (struct sockaddr *)&h->sa, h->sa_len) < 0;
        if (x->connecting && errno != EINPROGRESS) {
            int e = errno;
            close(x->fd);
            x->fd = -1;
            errno = e;
            return -1;
        }
    }
    x->in_ep = false;
    x->req_off = 0;
    x->got_byte = false;
    return ep_set(ep, x, EPOLLOUT | EPOLLIN | EPOLLRDHUP);
}

static void x_free(struct h1x *x)
{
    sse_release(&x->sse);
    free(x->req);
    free(x);
}

/* x's end: kind OK when the answer came whole (its outcome then from the status), else
 * kind with err; the connection kept when it may be; on_done; x freed */
static void x_end(struct netload *l, int ep, struct h1x *x, enum qb_kind kind, const char *why)
{
    struct netload_done *d = &x->d;
    d->end_ns = monotime_ns();
    if (x->a.status >= 200 && !d->status) {
        d->status = x->a.status;
        snprintf(d->content_type, sizeof(d->content_type), "%s", x->a.content_type);
    }
    bool keep = false;
    if (kind != QB_KIND_OK) {
        d->kind = kind;
        set_err(d->err, "%s", why);
    } else if (d->status >= 200 && d->status < 300) {
        d->kind = QB_KIND_OK;
        d->cut = sse_pending(&x->sse);
        keep = !x->a.close;
    } else {
        d->kind = QB_KIND_RUNTIME;
        set_err(d->err, "HTTP %ld", d->status);
        keep = !x->a.close;
    }
    if (x->fd >= 0) {
        if (x->in_ep)
            epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
        if (keep && x->h->n_idle < (int)l->n + 8)
            x->h->idle[x->h->n_idle++] = x->fd;
        else
            close(x->fd);
        x->fd = -1;
    }
    if (l->on_done)
        l->on_done(l->ud, x->i, d);
    x_free(x);
}

static struct h1x *x_start(struct netload *l, struct h1_host *hs, int *n_hs, size_t i,
                           uint64_t start, char *err)
{
    const struct netload_req *q = &l->reqs[i];
    const char *path;
    struct h1_host *h = host_of(hs, n_hs, q->url, &path, err);
    if (!h)
        return NULL;
    if (!h->idle)
        h->idle = xcalloc(l->n + 8, sizeof(int));
    struct h1x *x = xcalloc(1, sizeof(*x));
    x->i = i;
    x->h = h;
    x->fd = -1;
    sse_init(&x->sse, H1_MAX_EVENT, on_event, x);
    h1_init(&x->a, on_body, x);
    size_t blen = strlen(q->body);
    size_t cap = 512 + strlen(path) + strlen(h->host) + blen + (q->id ? strlen(q->id) : 0);
    for (const char *const *k = l->headers; k && *k; k++)
        cap += strlen(*k) + 2;
    x->req = xmalloc(cap);
    int n =
        snprintf(x->req, cap,
                 "POST %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\nUser-Agent: quantbench\r\n"
                 "Content-Type: application/json\r\nAccept: text/event-stream\r\n",
                 path, strchr(h->host, ':') ? "[" : "", h->host, strchr(h->host, ':') ? "]" : "",
                 strcmp(h->port, "80") ? ":" : "", strcmp(h->port, "80") ? h->port : "");
    if (q->id)
        n += snprintf(x->req + n, cap - (size_t)n, "X-Request-Id: %s\r\n", q->id);
    for (const char *const *k = l->headers; k && *k; k++)
        n += snprintf(x->req + n, cap - (size_t)n, "%s\r\n", *k);
    n += snprintf(x->req + n, cap - (size_t)n, "Content-Length: %zu\r\n\r\n", blen);
    memcpy(x->req + n, q->body, blen);
    x->req_len = (size_t)n + blen;
    x->d.issue_ns = start + q->due_ns;
    x->d.sent = true;
    x->d.send_ns = x->last_ns = monotime_ns();
    return x;
}

/* a connection that failed before any byte of the answer: 0 when x goes again on a fresh
 * one (a kept-alive connection the server had closed meanwhile), -1 when that was done */
static int retry(int ep, struct h1x *x)
{
    if (!x->reused || x->got_byte || x->retried)
        return -1;
    x->retried = true;
    if (x->in_ep)
        epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
    close(x->fd);
    x->fd = -1;
    return h1_connect(ep, x, true) < 0 ? -1 : 0;
}

/* the kernel's receive stamp of m (CLOCK_REALTIME) on our clock; 0 when none */
static uint64_t stamp_ns(struct msghdr *m, int64_t rt_minus_mono)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof(ts));
            int64_t rt = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
            return (uint64_t)(rt - rt_minus_mono);
        }
    return 0;
}

static int64_t clock_offset(void)
{
    struct timespec r, m;
    clock_gettime(CLOCK_MONOTONIC, &m);
    clock_gettime(CLOCK_REALTIME, &r);
    return ((int64_t)r.tv_sec - m.tv_sec) * 1000000000 + (r.tv_nsec - m.tv_nsec);
}

/* what epoll said of x: write the request, read what came; true when x ended */
static bool x_io(struct netload *l, int ep, struct h1x *x, uint32_t evs, int64_t off, char *buf,
                 size_t cap)
{
    const char *url = l->reqs[x->i].url;
    char why[QB_ERR_LEN];
    if (x->connecting && (evs & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int e = 0;
        socklen_t el = sizeof(e);
        getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &e, &el);
        if (e) {
            x->d.connect_failed = true;
            snprintf(why, sizeof(why), "'%s': Failed to connect to %s port %s: %s", url, x->h->host,
                     x->h->port, strerror(e));
            x_end(l, ep, x, QB_KIND_RUNTIME, why);
            return true;
        }
        x->connecting = false;
    }
    if (!x->connecting && x->req_off < x->req_len && (evs & EPOLLOUT)) {
        ssize_t k = send(x->fd, x->req + x->req_off, x->req_len - x->req_off, MSG_NOSIGNAL);
        if (k < 0 && errno != EAGAIN && errno != EINTR) {
            if (retry(ep, x) == 0)
                return false;
            snprintf(why, sizeof(why), "'%s': Send failure: %s", url, strerror(errno));
            x_end(l, ep, x, QB_KIND_RUNTIME, why);
            return true;
        }
        if (k > 0 && (x->req_off += (size_t)k) == x->req_len)
            ep_set(ep, x, EPOLLIN | EPOLLRDHUP);
    }
    if (!(evs & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) || x->connecting)
        return false;
    union {
        char b[CMSG_SPACE(sizeof(struct timespec)) + 64];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {buf, cap};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.b;
    m.msg_controllen = sizeof(ctl.b);
    ssize_t k = recvmsg(x->fd, &m, MSG_DONTWAIT);
    if (k < 0 && (errno == EAGAIN || errno == EINTR))
        return false;
    if (k <= 0) {
        int e = k < 0 ? errno : 0;
        if (retry(ep, x) == 0)
            return false;
        char cut[QB_ERR_LEN];
        if (h1_eof(&x->a, cut) == 1) {
            x_end(l, ep, x, QB_KIND_OK, NULL);
            return true;
        }
        if (e)
            snprintf(why, sizeof(why), "'%s': Recv failure: %s", url, strerror(e));
        else if (!x->got_byte)
            snprintf(why, sizeof(why), "'%s': Empty reply from server", url);
        else
            snprintf(why, sizeof(why), "'%s': transfer closed with outstanding read data remaining",
                     url);
        x_end(l, ep, x, QB_KIND_RUNTIME, why);
        return true;
    }
    uint64_t t = stamp_ns(&m, off);
    uint64_t now = monotime_ns();
    x->last_ns = t && t <= now ? t : now;
    x->got_byte = true;
    size_t used;
    char perr[QB_ERR_LEN];
    int rc = h1_feed(&x->a, buf, (size_t)k, &used, perr);
    if (rc < 0) {
        x->a.close = true;
        if (x->a.stopped) /* the event callback's or the parser's word */
            set_err(why, "%s", perr);
        else
            set_err(why, "'%s': %s", url, perr);
        x_end(l, ep, x, QB_KIND_RUNTIME, why);
        return true;
    }
    if (rc == 1) {
        if (used < (size_t)k)
            x->a.close = true; /* bytes after the answer: no reuse of that connection */
        x_end(l, ep, x, QB_KIND_OK, NULL);
        return true;
    }
    return false;
}

int netload_run_h1(struct netload *l, char *err)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return set_err(err, "epoll: %s", strerror(errno));
    cur = l;
    static char sig_mark;
    if (sig_fd() >= 0) {
        struct epoll_event ev = {EPOLLIN, {.ptr = &sig_mark}};
        epoll_ctl(ep, EPOLL_CTL_ADD, sig_fd(), &ev);
    }
    struct h1_host hs[H1_MAX_HOSTS];
    int n_hs = 0;
    struct netload_lanes ln;
    netload_lanes_init(l, &ln);
    const int n_lanes = ln.n;
    int *in_flight = ln.in_flight;
    const long total_cap = ln.total_cap;
    l->start_ns = monotime_ns();
    uint64_t start = l->start_ns;
    uint64_t limit_ns = l->max_duration_s > 0 ? start + (uint64_t)(l->max_duration_s * 1e9) : 0;
    uint64_t idle_ns = l->idle_timeout_s > 0 ? (uint64_t)(l->idle_timeout_s * 1e9) : 0;
    uint64_t conn_ns = (uint64_t)((l->connect_timeout_s > 0 ? l->connect_timeout_s : 30) * 1e9);
    uint64_t req_ns = l->timeout_s > 0 ? (uint64_t)(l->timeout_s * 1e9) : 0;
    struct h1x **live = xcalloc((size_t)total_cap + 1, sizeof(*live));
    int n_live = 0;
    l->max_in_flight = 0;
    enum { MAX_EV = 256 };
    struct epoll_event evs[MAX_EV];
    static char buf[1 << 16];
    uint64_t last_check = start, last_wake = 0;
    for (;;) {
        uint64_t now = monotime_ns();
        const char *why = NULL;
        enum qb_kind stop = netload_stop_now(l, now, limit_ns, &why);
        if (stop) {
            while (n_live > 0)
                x_end(l, ep, live[--n_live], stop, why);
            netload_lanes_drop(l, &ln, start, stop, why);
            break;
        }
        uint64_t next_due = UINT64_MAX;
        bool pending = false;
        for (int k = 0; k < n_lanes; k++) {
            long ti;
            while ((ti = netload_lane_take(l, &ln, k, start, now, &next_due, &pending)) >= 0) {
                size_t i = (size_t)ti;
                char xerr[QB_ERR_LEN];
                struct h1x *x = x_start(l, hs, &n_hs, i, start, xerr);
                if (!x) { /* no address for its host: no connection made, as libcurl says */
                    struct netload_done d;
                    memset(&d, 0, sizeof(d));
                    d.kind = QB_KIND_RUNTIME;
                    d.sent = d.connect_failed = true;
                    d.issue_ns = start + l->reqs[i].due_ns;
                    d.send_ns = d.end_ns = monotime_ns();
                    set_err(d.err, "%s", xerr);
                    if (l->on_done)
                        l->on_done(l->ud, i, &d);
                    continue;
                }
                x->slot = n_live;
                live[n_live++] = x;
                in_flight[k]++;
                if (h1_connect(ep, x, false) < 0) {
                    char cwhy[QB_ERR_LEN];
                    x->d.connect_failed = true;
                    snprintf(cwhy, sizeof(cwhy), "'%s': Failed to connect to %s port %s: %s",
                             l->reqs[i].url, x->h->host, x->h->port, strerror(errno));
                    live[--n_live] = NULL;
                    in_flight[k]--;
                    x_end(l, ep, x, QB_KIND_RUNTIME, cwhy);
                }
            }
        }
        if (n_live > l->max_in_flight)
            l->max_in_flight = n_live;
        if (n_live == 0 && !pending)
            break;
        /* at most one wake-up per window: what came meanwhile has its kernel stamps */
        now = monotime_ns();
        uint64_t wake = next_due;
        if (limit_ns && limit_ns < wake)
            wake = limit_ns;
        if (n_live && last_check + 100000000u < wake)
            wake = last_check + 100000000u; /* the timeouts, checked ten times a second */
        uint64_t quiet = last_wake + H1_WINDOW_NS;
        if (n_live && now < quiet && wake > now) {
            uint64_t until = quiet < wake ? quiet : wake;
            struct timespec ts = {0, (long)(until - now)};
            nanosleep(&ts, NULL);
            now = monotime_ns();
        }
        int wait_ms = 1000;
        if (wake != UINT64_MAX) {
            uint64_t d = wake > now ? wake - now : 0;
            long w = (long)((d + 999999) / 1000000);
            wait_ms = w < wait_ms ? (int)w : wait_ms;
        }
        int ne = epoll_wait(ep, evs, MAX_EV, wait_ms);
        last_wake = monotime_ns();
        int64_t off = clock_offset();
        for (int e = 0; e < ne; e++) {
            struct h1x *x = evs[e].data.ptr;
            if ((void *)x == (void *)&sig_mark)
                continue; /* the top of the loop sees it */
            int j = x->slot;
            size_t lane = (size_t)l->reqs[x->i].lane;
            if (x_io(l, ep, x, evs[e].events, off, buf, sizeof(buf))) {
                if (j != --n_live) { /* x is freed: its place to the last one */
                    live[j] = live[n_live];
                    live[j]->slot = j;
                }
                in_flight[lane]--;
            }
        }
        now = monotime_ns();
        if (now - last_check >= 100000000u) {
            last_check = now;
            for (int j = 0; j < n_live; j++) {
                struct h1x *x = live[j];
                const char *url = l->reqs[x->i].url;
                char twhy[QB_ERR_LEN];
                if (x->connecting && now - x->d.send_ns >= conn_ns) {
                    snprintf(twhy, sizeof(twhy), "'%s': Connection timed out after %.0f ms", url,
                             (double)(now - x->d.send_ns) / 1e6);
                } else if (req_ns && now - x->d.send_ns >= req_ns) {
                    snprintf(twhy, sizeof(twhy), "'%s': Operation timed out after %.0f ms", url,
                             (double)(now - x->d.send_ns) / 1e6);
                } else if (idle_ns && now - x->last_ns >= idle_ns) {
                    snprintf(twhy, sizeof(twhy), "'%s': no byte came for %g s (idle timeout)", url,
                             l->idle_timeout_s);
                } else {
                    continue;
                }
                if (j != --n_live) {
                    live[j] = live[n_live];
                    live[j]->slot = j;
                }
                j--;
                in_flight[l->reqs[x->i].lane]--;
                x->a.close = true;
                x_end(l, ep, x, QB_KIND_TIMEOUT, twhy);
            }
        }
    }
    for (int k = 0; k < n_hs; k++) {
        for (int j = 0; j < hs[k].n_idle; j++)
            close(hs[k].idle[j]);
        free(hs[k].idle);
    }
    free(live);
    netload_lanes_free(&ln);
    close(ep);
    cur = NULL;
    return 0;
}
