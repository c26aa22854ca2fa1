/* The dashboard's HTTP server over libmicrohttpd (see server.h). One MHD thread polls
 * every socket with epoll; a stream connection that has nothing to send is suspended (it
 * costs no thread and no wakeup) and the poller resumes them all when new frames land or a
 * ping is due. Every stream reads the one shared frame log (frames.h) at its own position,
 * so a slow client costs no memory, only its place: one that falls too far behind is
 * closed and comes back with Last-Event-ID. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../store/dbrun.h"
#include "../store/store.h"
#include "../util/exit.h"
#include "../util/util.h"
#include "api.h"
#include "frames.h"
#include "page.h"

#define SRV_MAX_CONNECTIONS   4096
#define SRV_CONNECTION_MEMORY (16u << 10) /* per connection: the request's header lines */
#define SRV_BEHIND_MAX        (16u << 20) /* a stream this far behind the log is closed */
#define SRV_STREAM_TIMEOUT_S  60          /* a stream that cannot be written for this long */
#define SRV_STREAM_BLOCK      (16u << 10)
#define SRV_POLL_NS           (20 * 1000 * 1000)
#define SRV_PING_S            15.0
#define SRV_BACKLOG           4096

static const char api_csp[] = "default-src 'none'; frame-ancestors 'none'";
static const char hello[] = "retry: 1000\n\n";
static const char ping[] = ": ping\n\n";

struct stream {
    struct dash_server *srv;
    struct MHD_Connection *conn;
    int64_t run;     /* 0: every run */
    size_t pos, off; /* in the frame log */
    bool said_hello, suspended;
    unsigned ping;
    struct stream *prev, *next;
};

struct dash_server {
    struct MHD_Daemon *d;
    int listen_fd;
    struct store *api_st, *poll_st; /* api_st: the MHD thread's; poll_st: the poller's */
    struct dash_page page;
    char url[128];
    pthread_t poller;
    bool poller_started;
    atomic_bool stop;
    pthread_mutex_t mu; /* guards log, streams, ping, stopping */
    struct dash_frames log;
    struct stream *streams;
    unsigned ping;
    bool stopping;
};

/* a request: its raw URI, kept by MHD's URI callback before anything is parsed */
struct req {
    char *uri;
    bool seen; /* the first call for it is over */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

bool dash_host_is_loopback(const char *host)
{
    if (!host || !strcmp(host, "localhost"))
        return true;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

/* ---------------------------------------------------------------- responses */

static void add_headers(struct MHD_Response *r, const char *csp, const char *type)
{
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (type)
        MHD_add_response_header(r, "Content-Type", type);
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r)
{
    if (!r)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* a plain-text answer (errors): the message is ours, never the request's */
static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(msg), (void *)msg, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    add_headers(r, api_csp, "text/plain; charset=utf-8");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, "Allow", "GET, HEAD");
    return queue(conn, status, r);
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, const cJSON *j)
{
    char *text = cJSON_PrintUnformatted(j);
    if (!text)
        return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    size_t n = strlen(text);
    char *body = xmalloc(n + 2); /* MHD frees it with free(); cJSON may use another allocator */
    memcpy(body, text, n);
    body[n] = '\n';
    body[n + 1] = '\0';
    cJSON_free(text);
    struct MHD_Response *r = MHD_create_response_from_buffer(n + 1, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    add_headers(r, api_csp, "application/json; charset=utf-8");
    return queue(conn, status, r);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", msg);
    enum MHD_Result ret = send_json(conn, status, j);
    cJSON_Delete(j);
    return ret;
}

/* ---------------------------------------------------------------- the event stream */

/* MHD asks for more of a stream's body: what the log holds past its position, else a
 * ping when one is due, else nothing: the connection is suspended until the poller
 * resumes it (MHD allows suspending from here). */
static ssize_t stream_read(void *cls, uint64_t at, char *buf, size_t max)
{
    (void)at;
    struct stream *c = cls;
    struct dash_server *s = c->srv;
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = 0;
    if (!c->said_hello && max >= sizeof(hello)) {
        memcpy(buf, hello, sizeof(hello) - 1);
        n = sizeof(hello) - 1;
        c->said_hello = true;
    }
    if (dash_frames_behind(&s->log, c->pos, c->off) > SRV_BEHIND_MAX) {
        pthread_mutex_unlock(&s->mu);
        return MHD_CONTENT_READER_END_WITH_ERROR; /* it reconnects with Last-Event-ID */
    }
    n += dash_frames_copy(&s->log, c->run, &c->pos, &c->off, buf + n, max - n);
    if (n == 0 && c->ping != s->ping && max >= sizeof(ping)) {
        memcpy(buf, ping, sizeof(ping) - 1);
        n = sizeof(ping) - 1;
    }
    c->ping = s->ping; /* data sent counts as the keep-alive too */
    if (n == 0) {
        c->suspended = true;
        MHD_suspend_connection(c->conn);
    }
    pthread_mutex_unlock(&s->mu);
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *c = cls;
    struct dash_server *s = c->srv;
    pthread_mutex_lock(&s->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->streams = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&s->mu);
    free(c);
}

/* every suspended stream back into MHD's loop (the caller holds mu) */
static void resume_all(struct dash_server *s)
{
    for (struct stream *c = s->streams; c; c = c->next)
        if (c->suspended) {
            c->suspended = false;
            MHD_resume_connection(c->conn);
        }
}

static enum MHD_Result serve_stream(struct dash_server *s, struct MHD_Connection *conn, bool head)
{
    const char *run_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "run");
    const char *after_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "after");
    const char *last_s = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
    int64_t run = 0, after = 0;
    if (run_s && (dash_frames_parse_id(run_s, &run) < 0 || run == 0))
        return send_error(conn, MHD_HTTP_BAD_REQUEST, "run: not a run id");
    /* a browser's reconnection sends the id it saw last: newer than the URL's after= */
    if (last_s ? dash_frames_parse_id(last_s, &after) < 0
               : after_s && dash_frames_parse_id(after_s, &after) < 0)
        return send_error(conn, MHD_HTTP_BAD_REQUEST,
                          last_s ? "Last-Event-ID: not an event id" : "after: not an event id");
    if (run) {
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)run);
        if (store_find_run(s->api_st, id) != run)
            return send_error(conn, MHD_HTTP_NOT_FOUND, "no such run");
    }
    struct MHD_Response *r;
    if (head) {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else {
        struct stream *c = xcalloc(1, sizeof(*c));
        c->srv = s;
        c->conn = conn;
        c->run = run;
        pthread_mutex_lock(&s->mu);
        c->pos = dash_frames_find(&s->log, after);
        c->ping = s->ping;
        c->next = s->streams;
        if (s->streams)
            s->streams->prev = c;
        s->streams = c;
        pthread_mutex_unlock(&s->mu);
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SRV_STREAM_BLOCK, stream_read, c,
                                              stream_free);
        if (!r) {
            stream_free(c);
            return MHD_NO;
        }
        /* the request timeout is for requests; a stream only has to keep being read */
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
                                  (unsigned)SRV_STREAM_TIMEOUT_S);
    }
    if (!r)
        return MHD_NO;
    add_headers(r, api_csp, "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    return queue(conn, MHD_HTTP_OK, r);
}

/* ---------------------------------------------------------------- requests */

static int hex_val(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* the path of a raw URI percent-decoded into out (n bytes): -1 for a bad escape, a NUL
 * or a path too long */
static int decode_path(const char *uri, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = uri; *p && *p != '?' && *p != '#'; p++) {
        int c = (unsigned char)*p;
        if (c == '%') {
            int hi = hex_val(p[1]), lo = hi < 0 ? -1 : hex_val(p[2]);
            if (lo < 0)
                return -1;
            c = hi * 16 + lo;
            p += 2;
        }
        if (c == 0 || k + 1 >= n)
            return -1;
        out[k++] = (char)c;
    }
    out[k] = '\0';
    return 0;
}

static enum MHD_Result serve_api(struct dash_server *s, struct MHD_Connection *conn,
                                 const char *path, const char *query)
{
    cJSON *out = NULL;
    int status = 500;
    char err[QB_ERR_LEN] = "";
    if (dash_api_get(s->api_st, path, query, &out, &status, err) < 0) {
        cJSON_Delete(out);
        if (status < 400 || status > 599)
            status = 500;
        return send_error(conn, (unsigned)status, err[0] ? err : "failed");
    }
    enum MHD_Result ret = send_json(conn, MHD_HTTP_OK, out);
    cJSON_Delete(out);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)url, (void)version, (void)upload_data;
    struct dash_server *s = cls;
    struct req *rq = *req_cls;
    if (*upload_data_size) { /* never reached: the answer is queued at the first call */
        *upload_data_size = 0;
        return MHD_YES;
    }
    bool head = !strcmp(method, "HEAD");
    if (strcmp(method, "GET") && !head)
        return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD are served\n");
    /* nothing here reads a body: a request that announces one is refused before it is read
     * (MHD then closes the connection rather than parse what follows) */
    const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding") ||
        (len && strspn(len, "0") != strlen(len)))
        return send_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "no request body is accepted\n");
    /* a request without a body is answered at the second call, when MHD knows it is whole:
     * answered at the first, MHD closes the connection (no keep-alive) */
    if (rq && !rq->seen) {
        rq->seen = true;
        return MHD_YES;
    }
    char path[1024];
    if (!rq || !rq->uri || decode_path(rq->uri, path, sizeof(path)) < 0)
        return send_text(conn, MHD_HTTP_BAD_REQUEST, "bad request path\n");
    /* no file is ever served; a path that climbs or hides a separator is not ours */
    if (path[0] != '/' || strstr(path, "..") || strchr(path, '\\'))
        return send_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    const char *q = strchr(rq->uri, '?');
    const char *query = q ? q + 1 : "";
    if (!strcmp(path, "/")) {
        struct MHD_Response *r = MHD_create_response_from_buffer(s->page.len, (void *)s->page.html,
                                                                 MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        add_headers(r, s->page.csp, "text/html; charset=utf-8");
        return queue(conn, MHD_HTTP_OK, r);
    }
    if (!strcmp(path, "/api/stream"))
        return serve_stream(s, conn, head);
    if (!strncmp(path, "/api/", 5))
        return serve_api(s, conn, path, query);
    return send_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls, (void)conn;
    struct req *rq = xcalloc(1, sizeof(*rq));
    rq->uri = xstrdup(uri);
    return rq;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)conn, (void)why;
    struct req *rq = *req_cls;
    if (rq) {
        free(rq->uri);
        free(rq);
        *req_cls = NULL;
    }
}

/* ---------------------------------------------------------------- the poller */

static int poll_once(struct dash_server *s, char *err)
{
    cJSON *ev = NULL;
    if (store_events(s->poll_st, 0, s->log.last_id, &ev, err) < 0)
        return -1;
    int added = 0;
    if (cJSON_GetArraySize(ev) > 0) {
        pthread_mutex_lock(&s->mu);
        const cJSON *e;
        cJSON_ArrayForEach (e, ev)
            if (dash_frames_add(&s->log, e, err) == 0)
                added++;
        pthread_mutex_unlock(&s->mu);
    }
    cJSON_Delete(ev);
    return added;
}

static void *poll_main(void *arg)
{
    struct dash_server *s = arg;
    const char *env = getenv("QB_DASH_PING_S");
    double every = SRV_PING_S;
    if (env && (parse_double(env, &every) < 0 || !(every >= 0.05)))
        every = SRV_PING_S;
    double next_ping = now_s() + every;
    const struct timespec tick = {0, SRV_POLL_NS};
    while (!atomic_load(&s->stop)) {
        nanosleep(&tick, NULL);
        char err[QB_ERR_LEN];
        /* a failed read (the writer's checkpoint, a lock) is tried again at the next tick */
        bool wake = poll_once(s, err) > 0;
        double t = now_s();
        pthread_mutex_lock(&s->mu);
        if (t >= next_ping) {
            s->ping++;
            next_ping = t + every;
            wake = true;
        }
        if (wake)
            resume_all(s);
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

/* ---------------------------------------------------------------- start, stop */

/* thousands of idle streams are thousands of descriptors: the soft limit up to the hard */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int listen_on(const char *host, int port, char *url, size_t url_n, bool *v6, int *fd_out,
                     int *exit_code, char *err)
{
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ports[16];
    snprintf(ports, sizeof(ports), "%d", port);
    int gai = getaddrinfo(host, ports, &hints, &ai);
    if (gai != 0 || !ai) {
        *exit_code = QB_EXIT_USAGE;
        return set_err(err, "--host '%s': %s", host, gai ? gai_strerror(gai) : "no address");
    }
    *exit_code = QB_EXIT_FAIL;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        freeaddrinfo(ai);
        return set_err(err, "cannot make a socket: %s", strerror(errno));
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, SRV_BACKLOG) < 0) {
        int e = errno;
        freeaddrinfo(ai);
        close(fd);
        return set_err(err, "cannot listen on %s port %d: %s", host, port, strerror(e));
    }
    *v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    struct sockaddr_storage sa;
    socklen_t sl = sizeof(sa);
    char addr[INET6_ADDRSTRLEN] = "?";
    int got = port;
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) == 0) {
        if (sa.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;
            inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof(addr));
            got = ntohs(a->sin6_port);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&sa;
            inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
            got = ntohs(a->sin_port);
        }
    }
    snprintf(url, url_n, *v6 ? "http://[%s]:%d/" : "http://%s:%d/", addr, got);
    *fd_out = fd;
    return 0;
}

struct dash_server *dash_server_start(const struct dash_server_opts *o, int *exit_code, char *err)
{
    struct dash_server *s = xcalloc(1, sizeof(*s));
    s->listen_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    const char *host = o->host ? o->host : "127.0.0.1";
    unsigned timeout = o->timeout_s > 0 ? (unsigned)(o->timeout_s + 0.999) : 10;
    if (!(s->api_st = dbrun_open_existing(o->db, exit_code, err)) ||
        !(s->poll_st = dbrun_open_existing(o->db, exit_code, err)))
        goto fail;
    *exit_code = QB_EXIT_FAIL;
    /* no endpoint writes; SQLite itself makes sure */
    if (store_set_query_only(s->api_st, err) < 0 || store_set_query_only(s->poll_st, err) < 0)
        goto fail;
    if (dash_page_build(o->title ? o->title : "quantbench", NULL, &s->page, err) < 0)
        goto fail;
    if (poll_once(s, err) < 0) /* the history first: a stream opened now replays it all */
        goto fail;
    bool v6 = false;
    if (listen_on(host, o->port, s->url, sizeof(s->url), &v6, &s->listen_fd, exit_code, err) < 0)
        goto fail;
    *exit_code = QB_EXIT_FAIL;
    raise_nofile();
    /* the threads must not take SIGINT/SIGTERM from the command that waits for them */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    if (v6)
        flags |= MHD_USE_IPv6;
    s->d =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET,
                         s->listen_fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)SRV_MAX_CONNECTIONS,
                         MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                         (size_t)SRV_CONNECTION_MEMORY, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (s->d && pthread_create(&s->poller, NULL, poll_main, s) == 0)
        s->poller_started = true;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!s->d) {
        set_err(err, "cannot start the HTTP server on %s", s->url);
        goto fail;
    }
    s->listen_fd = -1; /* MHD's now: it closes it */
    if (!s->poller_started) {
        set_err(err, "cannot start the event poller thread");
        goto fail;
    }
    return s;
fail:
    dash_server_stop(s);
    return NULL;
}

const char *dash_server_url(const struct dash_server *s)
{
    return s->url;
}

void dash_server_stop(struct dash_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, true);
    if (s->poller_started)
        pthread_join(s->poller, NULL);
    if (s->d) {
        /* the last events (a run's run_finished, written just before) still reach the
         * streams: one more read, then up to a second for them to be sent */
        char err[QB_ERR_LEN];
        poll_once(s, err);
        for (int i = 0; i < 100; i++) {
            pthread_mutex_lock(&s->mu);
            bool behind = false;
            for (struct stream *c = s->streams; c; c = c->next)
                behind |= dash_frames_behind(&s->log, c->pos, c->off) > 0 && c->said_hello;
            resume_all(s);
            pthread_mutex_unlock(&s->mu);
            if (!behind)
                break;
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        }
        /* MHD refuses to stop with suspended connections: every stream is resumed, and
         * ends at its next read */
        pthread_mutex_lock(&s->mu);
        s->stopping = true;
        resume_all(s);
        pthread_mutex_unlock(&s->mu);
        MHD_stop_daemon(s->d);
    }
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    store_close(s->api_st);
    store_close(s->poll_st);
    dash_page_free(&s->page);
    dash_frames_free(&s->log);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
