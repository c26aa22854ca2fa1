/* net/http.c against a loopback server forked here (canned answers, one per request, on
 * one kept connection where it can): the events of a 2xx answer to a body over 1 MiB sent
 * without "Expect: 100-continue", the connection reused, an HTTP error with its body, a
 * stream cut mid-event, a callback that stops, the idle timeout, a refused connection and
 * a scheme that is not http. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/net/http.h"
#include "../../src/util/clock.h"
#include "../../src/util/util.h"
#include "test.h"

/* the server's answers, in order, one per request; "" = hold the request unanswered */
static const char *const answers[] = {
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 25\r\n\r\n"
    "data: a\n\n: ping\ndata: b\n\n",
    "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 26\r\n\r\n"
    "{\"error\":{\"message\":\"no\"}}",
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 18\r\n\r\n"
    "data: a\n\ndata: b\n\n",
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
    "data: a\n\ndata: cut",
    "",
};

/* read one request's head and body from fd; report "expect=0|1 len=N" to out */
static int serve_one(int fd, FILE *out)
{
    char head[8192];
    size_t n = 0;
    while (n < sizeof(head) - 1) {
        ssize_t k = read(fd, head + n, 1);
        if (k <= 0)
            return -1;
        n += (size_t)k;
        head[n] = '\0';
        if (n >= 4 && !memcmp(head + n - 4, "\r\n\r\n", 4))
            break;
    }
    const char *cl = strcasestr(head, "content-length:");
    long len = cl ? strtol(cl + 15, NULL, 10) : 0;
    char buf[65536];
    for (long got = 0; got < len;) {
        ssize_t k =
            read(fd, buf, sizeof(buf) < (size_t)(len - got) ? sizeof(buf) : (size_t)(len - got));
        if (k <= 0)
            return -1;
        got += k;
    }
    fprintf(out, "expect=%d len=%ld\n", strcasestr(head, "expect:") != NULL, len);
    fflush(out);
    return 0;
}

static void server(int ls, int report)
{
    FILE *out = fdopen(report, "w");
    size_t next = 0;
    while (next < QB_ARRAY_LEN(answers)) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0)
            _exit(1);
        while (next < QB_ARRAY_LEN(answers) && serve_one(fd, out) == 0) {
            const char *a = answers[next++];
            if (!a[0]) {
                pause(); /* never answers */
            }
            if (write(fd, a, strlen(a)) < 0)
                _exit(1);
            if (strstr(a, "Connection: close"))
                break;
        }
        close(fd);
    }
    _exit(0);
}

struct got {
    char all[256];
    int stop_at, n;
};

static int on_event(void *ud, const char *event, const char *data, size_t len, char *err)
{
    struct got *g = ud;
    (void)event;
    (void)len;
    size_t k = strlen(g->all);
    snprintf(g->all + k, sizeof(g->all) - k, "%s;", data);
    if (++g->n == g->stop_at)
        return set_err(err, "enough");
    return 0;
}

void test_http_stream(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    CHECK(ls >= 0 && bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(ls, 4) == 0);
    CHECK(getsockname(ls, (struct sockaddr *)&sa, &sl) == 0);
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        server(ls, pfd[1]);
    }
    close(ls);
    close(pfd[1]);
    FILE *rep = fdopen(pfd[0], "r");
    char url[64], line[128], err[QB_ERR_LEN];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/x", ntohs(sa.sin_port));
    struct http_client *c = http_client_new(err);
    CHECK(c != NULL);
    struct got g = {"", 0, 0};
    struct http_result r;

    /* a body over 1 MiB: no Expect, so no wait for a "100 Continue" */
    size_t big = (1u << 20) + 100;
    char *body = xmalloc(big + 1);
    memset(body, ' ', big);
    body[0] = '{';
    body[big - 1] = '}';
    body[big] = '\0';
    struct http_post p = {url, body, NULL, 5, 5, 10, on_event, &g};
    uint64_t t0 = monotime_ns();
    if (http_post_events(c, &p, &r, err) != 0) {
        fprintf(stderr, "  %s\n", err);
        test_failures++;
    }
    CHECK((monotime_ns() - t0) / 1000000 < 900); /* no second's wait */
    CHECK(r.status == 200 && r.kind == QB_KIND_OK && !r.cut && r.n_events == 2 && !r.stopped);
    CHECK_STR(g.all, "a;b;");
    CHECK_STR(r.content_type, "text/event-stream");
    CHECK(r.sent_ns >= t0);
    CHECK(fgets(line, sizeof(line), rep) != NULL);
    snprintf(err, sizeof(err), "expect=0 len=%zu\n", big);
    CHECK_STR(line, err);
    free(body);

    /* an HTTP error: its status and body */
    p.body = "{}";
    g = (struct got){"", 0, 0};
    CHECK(http_post_events(c, &p, &r, err) == -1);
    CHECK(r.status == 404 && r.kind == QB_KIND_RUNTIME && !r.connect_failed && g.n == 0);
    CHECK_STR(err, "HTTP 404");
    CHECK_STR(r.body, "{\"error\":{\"message\":\"no\"}}");

    /* the callback ends it */
    g = (struct got){"", 1, 0};
    CHECK(http_post_events(c, &p, &r, err) == -1);
    CHECK(r.stopped && r.kind == QB_KIND_RUNTIME);
    CHECK_STR(err, "enough");

    /* a stream that ends inside an event (a close-delimited body); then a server that
     * never answers: the idle timeout */
    g = (struct got){"", 0, 0};
    CHECK(http_post_events(c, &p, &r, err) == 0);
    CHECK(r.cut && r.n_events == 1);
    CHECK_STR(g.all, "a;");
    p.idle_timeout_s = 0.3;
    t0 = monotime_ns();
    CHECK(http_post_events(c, &p, &r, err) == -1);
    double s = (double)(monotime_ns() - t0) / 1e9;
    CHECK(r.kind == QB_KIND_TIMEOUT && s >= 0.3 && s < 1.5);
    snprintf(line, sizeof(line), "'%s': no byte came for 0.3 s (idle timeout)", url);
    CHECK_STR(err, line);
    /* the requests the server saw: the 404, the stopped one, the cut one, the silent one */
    for (int i = 0; i < 4; i++) {
        CHECK(fgets(line, sizeof(line), rep) != NULL);
        CHECK_STR(line, "expect=0 len=2\n");
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fclose(rep);

    /* nothing listens there now (the port was the server's): refused */
    CHECK(http_post_events(c, &p, &r, err) == -1);
    CHECK(r.connect_failed && r.kind == QB_KIND_RUNTIME && r.status == 0);
    CHECK(strstr(err, "Couldn't connect") != NULL || strstr(err, "Failed to connect") != NULL);
    p.url = "ftp://127.0.0.1/x";
    CHECK(http_post_events(c, &p, &r, err) == -1);
    CHECK(r.kind == QB_KIND_INPUT);
    http_client_free(c);
}
