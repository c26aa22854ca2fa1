/* net/h1.c: an HTTP/1.1 answer from bytes, split anywhere */
#include <stdlib.h>
#include <string.h>

#include "../../src/net/h1.h"
#include "../../src/util/util.h"
#include "test.h"

struct got {
    char body[512];
    size_t n;
};

static int on_body(void *ud, const char *b, size_t n, char *err)
{
    struct got *g = ud;
    if (g->n + n >= sizeof(g->body))
        return set_err(err, "too much");
    memcpy(g->body + g->n, b, n);
    g->n += n;
    g->body[g->n] = '\0';
    return 0;
}

/* feed a whole, then split in two at every point and byte by byte: rc of the end, the
 * body, the bytes left after the answer */
static void check_answer(const char *a, int want_rc, const char *want_body, size_t want_rest,
                         long want_status, bool want_close)
{
    size_t n = strlen(a);
    for (size_t cut = 0; cut <= n + 1; cut++) {
        struct h1_answer h;
        struct got g = {"", 0};
        char err[QB_ERR_LEN] = "";
        h1_init(&h, on_body, &g);
        size_t used = 0, off = 0;
        int rc = 0;
        if (cut == n + 1) {
            for (; off < n && rc == 0; off += used)
                rc = h1_feed(&h, a + off, 1, &used, err);
        } else {
            rc = h1_feed(&h, a, cut, &used, err);
            off = used;
            if (rc == 0 && cut < n) {
                rc = h1_feed(&h, a + cut, n - cut, &used, err);
                off += used;
            }
        }
        if (rc == 0 && want_rc == 1)
            rc = h1_eof(&h, err); /* a body to the connection's end */
        CHECK(rc == want_rc);
        if (want_rc == 1) {
            CHECK_STR(g.body, want_body);
            CHECK(n - off == want_rest);
            CHECK(h.status == want_status && h.close == want_close);
        }
    }
}

void test_h1_answers(void)
{
    check_answer(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
        "\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n",
        1, "hello, world", 0, 200, false);
    /* bare LF line ends, trailers, a second answer after it (not ours) */
    check_answer(
        "HTTP/1.1 200 OK\ntransfer-encoding: Chunked\n\na\n0123456789\n0\nX-T: 1\n\nHTTP/1.1", 1,
        "0123456789", 8, 200, false);
    check_answer(
        "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 4\r\nConnection: close\r\n\r\n{}{}", 1,
        "{}{}", 0, 429, true);
    check_answer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 1, "", 0, 204,
                 false);
    check_answer("HTTP/1.0 200 OK\r\n\r\nto the end", 1, "to the end", 0, 200, true);
    check_answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1, "", 0, 200, false);
    /* malformed: -1 wherever split */
    check_answer("HTP/1.1 200 OK\r\n\r\n", -1, NULL, 0, 0, false);
    check_answer("HTTP/1.1 2000 OK\r\n\r\n", -1, NULL, 0, 0, false);
    check_answer("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", -1, NULL, 0, 0, false);
    check_answer("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", -1, NULL, 0, 0, false);
    check_answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", -1, NULL, 0,
                 0, false);
    check_answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", -1, NULL, 0, 0, false);
    check_answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", -1, NULL, 0, 0,
                 false);
    check_answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", -1, NULL, 0, 0,
                 false);
    check_answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", -1,
                 NULL, 0, 0, false);
}

void test_h1_ends(void)
{
    char err[QB_ERR_LEN] = "";
    struct h1_answer h;
    struct got g = {"", 0};
    size_t used;
    /* cut inside a chunk: the end is no end */
    h1_init(&h, on_body, &g);
    const char *a = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel";
    CHECK(h1_feed(&h, a, strlen(a), &used, err) == 0 && used == strlen(a));
    CHECK(h1_eof(&h, err) == 0);
    CHECK_STR(err, "the answer ended before its end");
    CHECK_STR(g.body, "hel");
    /* nothing at all */
    h1_init(&h, on_body, &g);
    CHECK(h1_eof(&h, err) == 0);
    CHECK_STR(err, "no answer");
    /* a line longer than the limit */
    char *big = malloc(H1_MAX_LINE + 64);
    memset(big, 'a', H1_MAX_LINE + 63);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    big[H1_MAX_LINE + 63] = '\0';
    h1_init(&h, on_body, &g);
    CHECK(h1_feed(&h, big, strlen(big), &used, err) == -1);
    CHECK_STR(err, "a malformed HTTP answer: a line too long");
    free(big);
    /* the body callback stops it: it takes no more */
    struct got full = {"", sizeof(full.body) - 2};
    h1_init(&h, on_body, &full);
    a = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n123456789";
    CHECK(h1_feed(&h, a, strlen(a), &used, err) == -1 && h.stopped);
    CHECK_STR(err, "too much");
    CHECK(h1_feed(&h, "x", 1, &used, err) == -1);
    /* the Content-Type kept */
    h1_init(&h, NULL, NULL);
    a = "HTTP/1.1 200 OK\r\ncontent-type:  text/event-stream \r\nContent-Length: 0\r\n\r\n";
    CHECK(h1_feed(&h, a, strlen(a), &used, err) == 1);
    CHECK_STR(h.content_type, "text/event-stream");
}
