/* Many streamed POSTs at once on one thread (libcurl's multi interface, one poll loop): each
 * request sent at its deadline, no earlier, and only while its lane (a target) has fewer
 * than its cap in flight; every event of every answer handed over the moment its bytes
 * are read, with the clock read then. The loop ends when every request ended, at the
 * run's time limit or at SIGINT / SIGTERM (util/sig.h), whatever the servers do: a request
 * that cannot finish ends with its reason. net/load.c and net/http.c are the files that
 * include curl/curl.h. */
#ifndef QB_LOAD_NET_H
#define QB_LOAD_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/exit.h"

/* One request (strings borrowed for the run) */
struct netload_req {
    const char *url;
    const char *body; /* sent as Content-Type: application/json */
    const char *id;   /* sent as X-Request-Id; NULL: none */
    int lane;         /* 0 .. n_lanes - 1 */
    uint64_t due_ns;  /* when to send it, ns after the start; a lane's requests in order */
};

/* What became of a request */
struct netload_done {
    long status;         /* the HTTP status; 0 when none came */
    enum qb_kind kind;   /* OK (a 2xx answer came to its end) or the failure's */
    bool sent;           /* false: never sent (the time limit or a signal came first) */
    bool connect_failed; /* no connection was made */
    bool cut;            /* the stream ended inside a line or an event */
    uint64_t issue_ns;   /* absolute monotime_ns(): when it was due */
    uint64_t send_ns;    /* when it was handed to libcurl (0: not sent) */
    uint64_t end_ns;     /* when it ended */
    long n_events;       /* events handed to on_event */
    char content_type[96];
    char body[384];       /* a non-2xx answer's body, its start */
    char err[QB_ERR_LEN]; /* why it failed ("" when it did not) */
};

struct netload {
    const struct netload_req *reqs;
    size_t n;
    const int *lane_cap; /* the most in flight per lane, 0: no cap */
    int n_lanes;
    const char *const *headers; /* more "Name: value" lines, NULL-terminated; NULL: none */
    double connect_timeout_s;   /* 0: 30 s */
    double idle_timeout_s;      /* the longest wait for a byte of one answer; 0: none */
    double timeout_s;           /* one request, whole; 0: none */
    double max_duration_s;      /* the run; 0: none */
    /* each event's data of a 2xx answer to request i, read at now_ns; -1 ends the
     * request with err (a failure of kind runtime) */
    int (*on_event)(void *ud, size_t i, const char *data, size_t len, uint64_t now_ns, char *err);
    /* every request once, sent or not, when it ended */
    void (*on_done)(void *ud, size_t i, const struct netload_done *d);
    void *ud;
    /* out */
    uint64_t start_ns; /* monotime_ns() at the start: due times count from it */
    int max_in_flight; /* the most requests in flight at once */
    bool timed_out;    /* the time limit ended it */
    bool interrupted;  /* a signal ended it */
};

/* Run l; 0, or -1 with err when libcurl cannot start (no request is sent then). */
int netload_run(struct netload *l, char *err);

/* A GET of url (for a capability probe), at most timeout_s: the status (0: no answer)
 * and the body's start, NUL-terminated, into body (n bytes). 0 when an answer came, -1
 * with err otherwise. */
int netload_get(const char *url, const char *const *headers, double timeout_s, long *status,
                char *body, size_t n, char *err);
/* The same as a POST of a JSON body */
int netload_post(const char *url, const char *json, const char *const *headers, double timeout_s,
                 long *status, char *body, size_t n, char *err);

#endif
