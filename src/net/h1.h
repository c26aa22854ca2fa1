/* An HTTP/1.1 answer read from bytes as they arrive (RFC 9112): the status line, the
 * headers (Content-Type, Content-Length, Transfer-Encoding: chunked, Connection: close
 * kept), then the body as chunks, a length, or up to the connection's end; 1xx answers
 * skipped. No I/O: net/load.c feeds it what it reads off its own sockets. */
#ifndef QB_H1_H
#define QB_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H1_MAX_LINE 8192 /* the longest status, header, chunk-size or trailer line */

enum h1_state {
    H1_STATUS,
    H1_HEADERS,
    H1_SIZE,
    H1_DATA,
    H1_DATA_END,
    H1_TRAILERS,
    H1_LENGTH,
    H1_TO_EOF,
    H1_DONE,
    H1_FAILED
};

struct h1_answer {
    /* each piece of the body, in order; 0 goes on, -1 stops the answer with err filled */
    int (*on_body)(void *ud, const char *b, size_t n, char *err);
    void *ud;
    enum h1_state state;
    long status;            /* 0 until the status line came */
    bool chunked;           /* Transfer-Encoding: chunked */
    bool has_length;        /* Content-Length came */
    bool close;             /* Connection: close, or HTTP/1.0: no reuse after it */
    bool stopped;           /* on_body ended it */
    uint64_t left;          /* bytes of this chunk or of the length still to come */
    char content_type[96];  /* "" none */
    char line[H1_MAX_LINE]; /* the line being read */
    size_t line_len;
};

void h1_init(struct h1_answer *a, int (*on_body)(void *ud, const char *b, size_t n, char *err),
             void *ud);
/* Feed n bytes: *used of them belong to this answer (the rest, after its end, do not);
 * 1 when the answer is complete, 0 when more is needed, -1 with err when it is malformed
 * or on_body stopped it (the answer takes no more then). */
int h1_feed(struct h1_answer *a, const char *b, size_t n, size_t *used, char *err);
/* The connection ended: 1 when that completes the answer (a body up to the end), 0 when
 * the answer was cut (err says where) */
int h1_eof(struct h1_answer *a, char *err);

/* load.h's netload_run on this client (net/h1load.c), for a run whose every URL is http:// */
struct netload;
int netload_run_h1(struct netload *l, char *err);

#endif
