/* quantbench serve: the live dashboard over a results database (dash/server.h) until
 * SIGINT or SIGTERM. The URL goes to stdout alone, for scripts, and to stderr as a line. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../dash/server.h"
#include "../util/log.h"
#include "../util/sig.h"
#include "cmd.h"

static const char serve_help[] =
    "usage: quantbench serve [--db PATH] [--host ADDR] [--port N] [--timeout S]\n"
    "\n"
    "Serves the dashboard of a results database over HTTP: the live run (progress, the\n"
    "answers as they stream, the log), results, charts, history and compare, read only\n"
    "(README \"The dashboard's server\"). Prints the URL on stdout (alone) and on\n"
    "stderr, then serves until SIGINT or SIGTERM. Another process may write the database\n"
    "meanwhile (a run): its events reach the open pages within about 20 ms.\n"
    "\n"
    "  --db PATH      the results database (default $QB_DB, else ./quantbench.db)\n"
    "  --host ADDR    the address to listen on [127.0.0.1]; anything but loopback lets\n"
    "                 other machines read the results (a warning says so)\n"
    "  --port N       the port [8080]; 0 picks a free one\n"
    "  --timeout S    a request not complete after S seconds is dropped [10]\n"
    "\n"
    "Exit: 0 stopped by SIGINT/SIGTERM; 1 the port cannot be used; 2 a bad flag or\n"
    "host; 3 a database that is missing or not quantbench's.\n"
    "\n" QB_EXIT_CODES_HELP;

int cmd_serve(int argc, char **argv)
{
    struct dash_server_opts o = {.host = "127.0.0.1", .port = 8080, .timeout_s = 10};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(serve_help, stdout);
            return QB_EXIT_OK;
        }
        if (strcmp(a, "--db") && strcmp(a, "--host") && strcmp(a, "--port") &&
            strcmp(a, "--timeout"))
            return usage_error("serve",
                               a[0] == '-' ? "unknown flag '%s'"
                                           : "unexpected argument "
                                             "'%s'",
                               a);
        if (!v || !v[0])
            return usage_error("serve", "'%s' needs a value", a);
        i++;
        if (!strcmp(a, "--db")) {
            o.db = v;
        } else if (!strcmp(a, "--host")) {
            o.host = v;
        } else if (!strcmp(a, "--port")) {
            if (parse_int(v, 0, 65535, &o.port) < 0)
                return usage_error("serve", "invalid value '%s' for --port (expected 0-65535)", v);
        } else if (parse_double(v, &o.timeout_s) < 0 || !(o.timeout_s > 0) || o.timeout_s > 3600) {
            return usage_error("serve", "invalid value '%s' for --timeout (expected seconds)", v);
        }
    }
    char err[QB_ERR_LEN];
    if (sig_install(err) < 0)
        return error("%s", err);
    int code = QB_EXIT_FAIL;
    struct dash_server *s = dash_server_start(&o, &code, err);
    if (!s) {
        error("serve: %s", err);
        return code;
    }
    if (!dash_host_is_loopback(o.host))
        log_printf("quantbench: warning: --host %s is not loopback: anyone who can reach it "
                   "reads the results\n",
                   o.host);
    log_printf("quantbench: serving %s\n", dash_server_url(s));
    printf("%s\n", dash_server_url(s));
    fflush(stdout);
    struct pollfd p = {.fd = sig_fd(), .events = POLLIN};
    while (!sig_caught())
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            break;
    dash_server_stop(s);
    log_printf("quantbench: serve: stopped by SIG%s\n",
               sig_caught() ? sigabbrev_np(sig_caught()) : "?");
    return QB_EXIT_OK;
}
