/* One streamed answer as libcurl hands it over, for both of this layer's clients (http.c:
 * prompts --server, load.c: load): the header callback keeps the Content-Type, the body
 * callback takes the status once, keeps the start of an error's body and feeds a 2xx body
 * to an SSE parser; every byte's arrival time is kept. */
#ifndef QB_NET_STREAM_H
#define QB_NET_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"
#include "sse.h"

struct net_stream {
    void *h;                 /* the transfer's CURL easy handle */
    struct sse_parser sse;   /* sse_init'ed by the client, with its own event callback */
    bool status_known;       /* the status has been read */
    bool ok_status;          /* a 2xx status: the body is events */
    bool stopped;            /* the event callback or the parser ended the transfer */
    uint64_t last_ns;        /* the last byte's arrival (or the send) */
    long *status;            /* where the status goes (the client's result) */
    char *content_type;      /* where the Content-Type goes ("" none) */
    size_t content_type_n;   /* its room, with the NUL */
    char *body;              /* where a non-2xx body's start goes ("" none) */
    size_t body_n;           /* its room, with the NUL */
    size_t body_len;         /* bytes of body so far */
    char cb_err[QB_ERR_LEN]; /* the event callback's or the parser's error */
};

/* libcurl's global set-up, once for the process (every client here calls it first);
 * 0, or -1 with err set */
int net_curl_init(char *err);

/* CURLOPT_HEADERFUNCTION and CURLOPT_WRITEFUNCTION, their data a struct net_stream */
size_t net_stream_header(char *b, size_t size, size_t n, void *ud);
size_t net_stream_body(char *b, size_t size, size_t n, void *ud);

/* The request headers of a streamed POST: a JSON body, an event-stream answer, no "Expect:
 * 100-continue" (a second's wait for servers that do not answer it), then more (NULL-
 * terminated; NULL none): a curl_slist (the caller frees it with curl_slist_free_all) */
void *net_stream_headers(const char *const *more);

/* Set the POST of body to url on the easy handle h with the headers hd (net_stream_headers),
 * http and https only, our user agent, no signals, the connect timeout (0: 30 s) and the
 * whole request's (0: none), the answer read into s (s->h = h) */
void net_stream_setup(void *h, const char *url, const char *body, void *hd,
                      double connect_timeout_s, double timeout_s, struct net_stream *s);

/* Append the n bytes of b to buf (room cap with its NUL, *len used) as far as they fit,
 * cutting the rest: the start of an answer's body, kept for a message */
void net_keep_start(char *buf, size_t cap, size_t *len, const char *b, size_t n);

/* seconds as libcurl's milliseconds: 0 for none (s <= 0), at most 2e9 */
long net_ms(double s);

#endif
