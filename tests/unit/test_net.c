/* net/sse.c (events from bytes however they are split: LF, CR, CRLF, comments, event:,
 * data over several lines, a BOM, a limit, a callback that stops) and net/http.c's URL
 * check. */
#include <stdlib.h>

#include "../../src/net/http.h"
#include "../../src/net/sse.h"
#include "../../src/util/util.h"
#include "test.h"

struct evs {
    char all[2048]; /* "type|data;" per event */
    int n, stop_at;
};

static int on_ev(void *ud, const char *event, const char *data, size_t len, char *err)
{
    struct evs *e = ud;
    CHECK(strlen(data) == len);
    size_t k = strlen(e->all);
    snprintf(e->all + k, sizeof(e->all) - k, "%s|%s;", event, data);
    if (++e->n == e->stop_at)
        return set_err(err, "stopped at %d", e->n);
    return 0;
}

static const char stream[] = "\xef\xbb\xbf"
                             ": a comment\r\n"
                             "data: one\r\n\r\n"
                             "event: error\n"
                             "data:two\n"
                             "data:  three\n"
                             "id: 7\n\n"
                             "\n\n" /* blank lines alone dispatch nothing */
                             "retry: 10\r"
                             "data\r\r"
                             "data: [DONE]\n\n";
static const char want[] = "|one;error|two\n three;|;|[DONE];";

void test_sse_split(void)
{
    size_t n = sizeof(stream) - 1;
    char err[QB_ERR_LEN];
    /* whole, byte by byte, and split at every point in two */
    for (size_t cut = 0; cut <= n + 1; cut++) {
        struct evs e = {"", 0, 0};
        struct sse_parser s;
        sse_init(&s, 1024, on_ev, &e);
        if (cut == n + 1) {
            for (size_t i = 0; i < n; i++)
                CHECK(sse_feed(&s, stream + i, 1, err) == 0);
        } else {
            CHECK(sse_feed(&s, stream, cut, err) == 0);
            CHECK(sse_feed(&s, stream + cut, n - cut, err) == 0);
        }
        CHECK_STR(e.all, want);
        CHECK(s.n_events == 4 && !sse_pending(&s));
        sse_release(&s);
    }
}

void test_sse_limits(void)
{
    char err[QB_ERR_LEN] = "";
    struct evs e = {"", 0, 2};
    struct sse_parser s;
    /* the callback stops the stream: nothing more is taken */
    sse_init(&s, 64, on_ev, &e);
    CHECK(sse_feed(&s, "data: a\n\ndata: b\n\ndata: c\n\n", 27, err) == -1);
    CHECK_STR(err, "stopped at 2");
    CHECK_STR(e.all, "|a;|b;");
    CHECK(sse_feed(&s, "data: d\n\n", 9, err) == -1);
    sse_release(&s);
    /* a stream cut inside an event, and inside a line */
    memset(&e, 0, sizeof(e));
    sse_init(&s, 64, on_ev, &e);
    CHECK(sse_feed(&s, "data: a\n\ndata: b\n", 17, err) == 0);
    CHECK(sse_pending(&s) && e.n == 1);
    sse_release(&s);
    sse_init(&s, 64, on_ev, &e);
    CHECK(sse_feed(&s, "data: a", 7, err) == 0 && sse_pending(&s));
    sse_release(&s);
    /* a line over the limit, and an event over it from short lines */
    char big[100];
    memset(big, 'x', sizeof(big));
    sse_init(&s, 64, on_ev, &e);
    CHECK(sse_feed(&s, big, sizeof(big), err) == -1);
    CHECK_STR(err, "a line of more than 64 bytes in the event stream");
    sse_release(&s);
    sse_init(&s, 64, on_ev, &e);
    int rc = 0;
    for (int i = 0; i < 10 && rc == 0; i++)
        rc = sse_feed(&s, "data: 0123456789\n", 17, err);
    CHECK(rc == -1);
    CHECK_STR(err, "an event of more than 64 bytes");
    sse_release(&s);
}

void test_http_url(void)
{
    char err[QB_ERR_LEN];
    CHECK(http_url_check("http://127.0.0.1:8080", err) == 0);
    CHECK(http_url_check("https://api.example.com/v1/", err) == 0);
    CHECK(http_url_check("ftp://127.0.0.1", err) == -1);
    CHECK_STR(err, "'ftp://127.0.0.1': not an http:// or https:// URL");
    CHECK(http_url_check("http://h:8080/v1?x=1", err) == -1);
    CHECK_STR(err, "'http://h:8080/v1?x=1': a server's URL has no query or fragment");
    CHECK(http_url_check("http://", err) == -1);
    CHECK(strncmp(err, "'http://': not a URL (", 22) == 0);
    CHECK(http_url_check("not a url", err) == -1);
}
