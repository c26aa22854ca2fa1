/* Worker processes. The parent never loads a model: it starts /proc/self/exe in
 * the hidden worker mode (fork+exec, never a bare fork) and talks JSON lines to it
 * on two pipes (requests on the worker's fd 3, responses on its fd 4; its stdout
 * and stderr go to a third pipe the parent keeps the tail of). A worker that dies
 * or overruns its timeout is reported with the cause and that tail. A worker runs in
 * its own process group (the terminal's Ctrl-C reaches the parent only) and dies with
 * its parent; on SIGINT / SIGTERM (util/sig.h) the parent's waits kill its group. */
#ifndef QB_WORKER_H
#define QB_WORKER_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "../util/exit.h"

#define WORKER_FD_IN      3
#define WORKER_FD_OUT     4
#define WORKER_TAIL_BYTES 4096
#define WORKER_MAX_LINE   (16u << 20) /* longest message line either side accepts */

struct worker;

/* Start a worker. verbosity is passed on; echo_stderr copies its stderr to ours live.
 * NULL with err on failure, and after SIGINT / SIGTERM ("interrupted by SIGINT"). */
struct worker *worker_start(int verbosity, bool echo_stderr, char *err);

/* Send req and wait up to timeout_s (0 = forever) for one response object
 * (*resp is the caller's). -1 with err when the worker died, timed out or was
 * interrupted (it is then killed) or spoke nonsense; after that worker_alive() is false
 * and worker_failure() says which. An answer that arrived is taken even after a signal. */
int worker_call(struct worker *w, const cJSON *req, double timeout_s, cJSON **resp, char *err);

/* Why the last worker_call failed: QB_KIND_CRASH (died: a signal, an abort, an exit, or
 * spoke nonsense), OOM (killed by the out-of-memory killer, or died out of memory), TIMEOUT
 * (overran the timeout: we killed it) or INTERRUPTED (SIGINT / SIGTERM was caught: we
 * killed it); QB_KIND_OK after a success; CRASH for NULL. */
enum qb_kind worker_failure(const struct worker *w);

/* The worker's process id (0 for NULL): the files it writes as "PATH.tmp.PID" are its. */
int worker_pid(const struct worker *w);

/* Call cb for each progress event (model load, value in [0,1]) seen during worker_call. */
void worker_set_progress(struct worker *w, void (*cb)(double p, void *ud), void *ud);

/* Call cb for each units event of a run ({"ev":"progress","done":N,"total":M}: depths of a
 * sweep, chunks of a perplexity run) seen during worker_call; NULL stops. */
void worker_set_units(struct worker *w, void (*cb)(long done, long total, void *ud), void *ud);

/* Call cb for each token event of a run ({"ev":"token","n":N,"text":T}: an answer's N-th
 * token and the text it made visible, text borrowed for the call) seen during worker_call;
 * NULL stops. */
void worker_set_token(struct worker *w, void (*cb)(long n, const char *text, void *ud), void *ud);

bool worker_alive(const struct worker *w);
/* Last bytes of the worker's stderr (static to w, do not free). */
const char *worker_stderr_tail(const struct worker *w);
/* Ask it to quit, wait briefly, kill if needed, reap; accepts NULL. */
void worker_stop(struct worker *w);

/* Describe a wait() status: "killed by signal 11 (SIGSEGV)", "exited with status 3";
 * into buf. */
void worker_describe_status(int status, char *buf, size_t n);

#endif
