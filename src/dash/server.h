/* The dashboard's HTTP server (`quantbench serve`, `run --serve`): libmicrohttpd with one
 * internal epoll thread for every connection, serving GET / (the page of page.h), GET
 * /api/... (api.h, over a read-only connection) and GET /api/stream, the events of the
 * database as Server-Sent Events with Last-Event-ID replay, fed by one poller thread that
 * reads new events (another process writes them) every 20 ms. Read only: GET and HEAD, no
 * request body, no file served. Nothing here prints. */
#ifndef QB_DASH_SERVER_H
#define QB_DASH_SERVER_H

#include <stdbool.h>

struct dash_server;

struct dash_server_opts {
    const char *db;    /* the results database (must exist; read only) */
    const char *host;  /* the address to bind, numeric or a name (NULL: 127.0.0.1) */
    int port;          /* 0: a free one */
    double timeout_s;  /* a request not complete by then is dropped (<= 0: 10 s) */
    const char *title; /* the page's title (NULL: "quantbench") */
};

/* Start serving; returns the server (stop it with dash_server_stop) or NULL with err and
 * *exit_code: QB_EXIT_INPUT for a database that is missing or not ours (as
 * dbrun_open_existing), QB_EXIT_USAGE for a host that is not an address, QB_EXIT_FAIL for
 * anything else (the port is taken, out of memory). */
struct dash_server *dash_server_start(const struct dash_server_opts *o, int *exit_code, char *err);

/* The URL it serves, as "http://127.0.0.1:8080/" ("http://[::1]:8080/" for IPv6), with the
 * port it got (static to the server). */
const char *dash_server_url(const struct dash_server *s);

/* Stop serving: open streams end, the threads are joined, everything is freed. Accepts
 * NULL. */
void dash_server_stop(struct dash_server *s);

/* True when host (as dash_server_opts takes it) names a loopback address only:
 * 127.0.0.0/8, ::1 or "localhost". */
bool dash_host_is_loopback(const char *host);

#endif
