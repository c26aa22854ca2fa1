/* HTTP for the commands that ask a server (prompts --server): a POST of a JSON body whose
 * answer is read as server-sent events as they arrive, over libcurl (net/ is the only layer
 * that includes curl/curl.h; stream.c reads the answer for this and load.c). A connection the
 * server keeps open is reused by the client's next request. Every way a request can fail has a kind
 * (util/exit.h): input for a URL that is no http(s) URL, runtime for HTTP errors and connections
 * refused or dropped, timeout, interrupted (SIGINT / SIGTERM: the wait wakes at once). */
#ifndef QB_HTTP_H
#define QB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/exit.h"

#define HTTP_MAX_EVENT (16u << 20) /* bytes of one line or event accepted */

struct http_client; /* a libcurl handle and its connection */

/* A client, or NULL with err (libcurl could not start). Free with http_client_free
 * (accepts NULL). */
struct http_client *http_client_new(char *err);
void http_client_free(struct http_client *c);

/* Whether url is a server's base URL we can ask: http:// or https://, a host, no query
 * and no fragment; -1 with err ("'URL': ...") otherwise (a kind input failure). */
int http_url_check(const char *url, char *err);

/* A POST whose answer is an event stream */
struct http_post {
    const char *url;            /* where (http_url_check's rules, a path allowed) */
    const char *body;           /* sent as Content-Type: application/json */
    const char *const *headers; /* more "Name: value" lines, NULL-terminated; NULL: none */
    double connect_timeout_s;   /* to connect; 0: 30 s */
    double idle_timeout_s;      /* the longest wait for a byte (from the start: it bounds
                                 * connecting too); 0: none */
    double timeout_s;           /* the whole request; 0: none */
    /* each event of a 2xx answer (sse.h's callback): 0 goes on, -1 ends the request with
     * err, the failure kind runtime */
    int (*on_event)(void *ud, const char *event, const char *data, size_t len, char *err);
    void *ud;
};

struct http_result {
    long status;            /* the HTTP status; 0 when none came */
    enum qb_kind kind;      /* OK, or the failure's */
    bool connect_failed;    /* no connection was made (refused, no such host) */
    bool stopped;           /* on_event ended it */
    bool cut;               /* the stream ended inside a line or an event */
    uint64_t sent_ns;       /* monotime_ns() when the request began (before connecting) */
    long n_events;          /* events handed to on_event */
    char content_type[128]; /* the answer's Content-Type ("" none) */
    char body[512];         /* a non-2xx answer's body, its start ("" none) */
};

/* Send p with c; 0 when a 2xx answer came to its end (the events handed to on_event as
 * they came, r->cut telling whether it ended mid-event), else -1 with r->kind, r->status
 * and err ("HTTP 404" for a status, libcurl's words for the rest, the callback's own). */
int http_post_events(struct http_client *c, const struct http_post *p, struct http_result *r,
                     char *err);

#endif
