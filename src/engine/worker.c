/* Worker processes, the parent's side (see worker.h; the worker's is run/serve.c). */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../util/clock.h"
#include "../util/lines.h"
#include "../util/log.h"
#include "../util/sig.h"
#include "../util/util.h"
#include "engine.h"

/* ------------------------------------------------------------ parent side */

struct worker {
    pid_t pid;
    int fd_req;  /* we write requests */
    int fd_resp; /* we read responses */
    int fd_err;  /* we read its stdout+stderr */
    bool alive;
    bool echo;
    enum qb_kind fail;   /* why the last worker_call failed */
    long long oom_kills; /* the cgroup's OOM kill count at the start, -1 unknown */
    void (*on_progress)(double p, void *ud); /* progress events, may be NULL */
    void *progress_ud;
    void (*on_units)(long done, long total, void *ud); /* units of a run, may be NULL */
    void *units_ud;
    void (*on_token)(long n, const char *text, void *ud); /* tokens of an answer, may be NULL */
    void *token_ud;
    struct lines resp;
    char tail[WORKER_TAIL_BYTES]; /* ring of the last stderr bytes, kept linear */
    size_t tail_len;
};

static void tail_add(struct worker *w, const char *p, size_t n)
{
    if (w->echo && n)
        (void)!write(STDERR_FILENO, p, n);
    if (n >= sizeof(w->tail) - 1) {
        p += n - (sizeof(w->tail) - 1);
        n = sizeof(w->tail) - 1;
    }
    if (w->tail_len + n > sizeof(w->tail) - 1) {
        size_t drop = w->tail_len + n - (sizeof(w->tail) - 1);
        memmove(w->tail, w->tail + drop, w->tail_len - drop);
        w->tail_len -= drop;
    }
    memcpy(w->tail + w->tail_len, p, n);
    w->tail_len += n;
    w->tail[w->tail_len] = '\0';
}

void worker_set_progress(struct worker *w, void (*cb)(double p, void *ud), void *ud)
{
    w->on_progress = cb;
    w->progress_ud = ud;
}

void worker_set_units(struct worker *w, void (*cb)(long done, long total, void *ud), void *ud)
{
    w->on_units = cb;
    w->units_ud = ud;
}

void worker_set_token(struct worker *w, void (*cb)(long n, const char *text, void *ud), void *ud)
{
    w->on_token = cb;
    w->token_ud = ud;
}

const char *worker_stderr_tail(const struct worker *w)
{
    return w->tail;
}

bool worker_alive(const struct worker *w)
{
    return w && w->alive;
}

void worker_describe_status(int status, char *buf, size_t n)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *abbrev = sigabbrev_np(sig);
        snprintf(buf, n, "killed by signal %d (SIG%s)", sig, abbrev ? abbrev : "?");
    } else if (WIFEXITED(status)) {
        snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
    } else {
        snprintf(buf, n, "stopped (status 0x%x)", status);
    }
}

enum qb_kind worker_failure(const struct worker *w)
{
    return w ? w->fail : QB_KIND_CRASH;
}

int worker_pid(const struct worker *w)
{
    return w ? (int)w->pid : 0;
}

/* "oom_kill N" of a cgroup memory.events (v2) or memory.oom_control (v1) file */
static long long read_oom_kill(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    long long v = -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "oom_kill ", 9) != 0)
            continue;
        char *end;
        errno = 0;
        long long x = strtoll(line + 9, &end, 10);
        if (errno == 0 && end != line + 9)
            v = x;
        break;
    }
    fclose(f);
    return v;
}

/* How many processes of our memory cgroup the OOM killer has killed so far; -1 unknown.
 * A worker shares the parent's cgroup, so a count that grew while it ran names its
 * SIGKILL's sender. */
static long long cgroup_oom_kills(void)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    char line[1024], path[1200];
    long long v = -1;
    while (f && v < 0 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "0::", 3) == 0) {
            snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.events",
                     strcmp(line + 3, "/") ? line + 3 : "");
            v = read_oom_kill(path);
        } else {
            char *m = strstr(line, ":memory:");
            if (!m)
                continue;
            snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/memory.oom_control",
                     strcmp(m + 8, "/") ? m + 8 : "");
            v = read_oom_kill(path);
            if (v < 0) /* a container sees its own cgroup at the root of the mount */
                v = read_oom_kill("/sys/fs/cgroup/memory/memory.oom_control");
        }
    }
    if (f)
        fclose(f);
    return v;
}

static int self_exe(char *buf, size_t n)
{
    ssize_t k = readlink("/proc/self/exe", buf, n - 1);
    if (k <= 0)
        return -1;
    buf[k] = '\0';
    return 0;
}

struct worker *worker_start(int verbosity, bool echo_stderr, char *err)
{
    int req[2] = {-1, -1}, resp[2] = {-1, -1}, errp[2] = {-1, -1};
    char exe[PATH_MAX];
    if (sig_caught())
        return set_err(err, "interrupted by SIG%s", sigabbrev_np(sig_caught())), NULL;
    if (self_exe(exe, sizeof(exe)) < 0) {
        set_err(err, "cannot find our own executable: %s", strerror(errno));
        return NULL;
    }
    if (pipe2(req, O_CLOEXEC) < 0 || pipe2(resp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        set_err(err, "cannot create pipes: %s", strerror(errno));
        goto fail;
    }
    char vbuf[16];
    snprintf(vbuf, sizeof(vbuf), "%d", verbosity);
    fflush(NULL);
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        set_err(err, "cannot fork a worker: %s", strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        /* child: only async-signal-safe calls until exec. Its own process group, so the
         * terminal's Ctrl-C reaches only the parent, which stops it and keeps what it
         * has; and it dies with the parent (a SIGKILL of the parent leaves no worker) */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int in = dup(req[0]), out = dup(resp[1]), e = dup(errp[1]);
        if (in < 0 || out < 0 || e < 0 || dup2(in, WORKER_FD_IN) < 0 ||
            dup2(out, WORKER_FD_OUT) < 0 || dup2(e, STDERR_FILENO) < 0 ||
            dup2(e, STDOUT_FILENO) < 0)
            _exit(127);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        char *argv[] = {exe, (char *)"__worker", vbuf, NULL};
        execv(exe, argv);
        _exit(127);
    }
    setpgid(pid, pid); /* also here: no window where a kill of the group misses it */
    sig_track_group(pid);
    close(req[0]);
    close(resp[1]);
    close(errp[1]);
    struct worker *w = xcalloc(1, sizeof(*w));
    w->pid = pid;
    w->oom_kills = cgroup_oom_kills();
    w->fd_req = req[1];
    w->fd_resp = resp[0];
    w->fd_err = errp[0];
    w->alive = true;
    w->echo = echo_stderr;
    signal(SIGPIPE, SIG_IGN);
    return w;
fail:
    for (int i = 0; i < 2; i++) {
        if (req[i] >= 0)
            close(req[i]);
        if (resp[i] >= 0)
            close(resp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    return NULL;
}

static void drain_err(struct worker *w)
{
    char buf[4096];
    for (;;) {
        ssize_t k = read(w->fd_err, buf, sizeof(buf));
        if (k <= 0)
            break;
        tail_add(w, buf, (size_t)k);
    }
}

/* The last non-empty line of the stderr tail, for one-line messages. */
static void tail_last_line(const struct worker *w, char *buf, size_t n)
{
    size_t end = w->tail_len;
    while (end && (w->tail[end - 1] == '\n' || w->tail[end - 1] == '\r'))
        end--;
    size_t start = end;
    while (start && w->tail[start - 1] != '\n')
        start--;
    snprintf(buf, n, "%.*s", (int)(end - start), w->tail + start);
}

/* SIGKILL to the worker's process group (to the worker alone if it has none) */
static void kill_worker(const struct worker *w)
{
    if (kill(-w->pid, SIGKILL) < 0)
        kill(w->pid, SIGKILL);
}

/* Wait for the worker to end (killing it first when kill_it); its wait status, or -1
 * when it vanished (reaped elsewhere) */
static int reap(struct worker *w, bool kill_it)
{
    int status = 0, ret = -1;
    if (kill_it)
        kill_worker(w);
    for (int i = 0; i < 200; i++) {
        pid_t r = waitpid(w->pid, &status, kill_it ? 0 : WNOHANG);
        if (r == w->pid) {
            ret = status;
            goto out;
        }
        if (r < 0 && errno != EINTR)
            goto out;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill_worker(w);
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        ;
    ret = status;
out:
    w->alive = false;
    sig_untrack_group(w->pid);
    return ret;
}

/* The kind of a worker's death as the last words in its stderr tell it, the C++ runtime's
 * and llama.cpp's own (they come with no code: this is the one place they are read):
 * "std::bad_alloc", "out of memory" or "failed to allocate" say QB_KIND_OOM, anything
 * else QB_KIND_CRASH. */
static enum qb_kind tail_kind(const char *tail)
{
    static const char *const oom_words[] = {"std::bad_alloc", "out of memory",
                                            "failed to allocate"};
    for (size_t i = 0; i < QB_ARRAY_LEN(oom_words); i++)
        if (strstr(tail, oom_words[i]))
            return QB_KIND_OOM;
    return QB_KIND_CRASH;
}

/* The worker failed: reap it (killing it first when kill_it), note why in w->fail and say
 * it in err. why is TIMEOUT or INTERRUPTED when we stop it, else CRASH and the wait
 * status tells (a SIGKILL we did not send: the out-of-memory killer); what says what it
 * did, may be "". */
static int died(struct worker *w, enum qb_kind why, bool kill_it, const char *what, char *err)
{
    char cause[192] = "", last[256];
    int status = reap(w, kill_it);
    /* collect what it wrote before dying */
    fcntl(w->fd_err, F_SETFL, O_NONBLOCK);
    drain_err(w);
    tail_last_line(w, last, sizeof(last));
    if (why == QB_KIND_CRASH && sig_caught()) /* the same signal reached it too */
        why = QB_KIND_INTERRUPTED;
    w->fail = why;
    if (why == QB_KIND_INTERRUPTED)
        return set_err(err, "interrupted by SIG%s", sigabbrev_np(sig_caught()));
    bool sigkill = status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    if (why == QB_KIND_CRASH && status < 0) {
        snprintf(cause, sizeof(cause), "vanished");
    } else if (why == QB_KIND_CRASH && sigkill && !kill_it) {
        /* a SIGKILL we did not send: the OOM killer's when our cgroup's count of its kills
         * grew or cannot be read; another sender's (a person, a job manager) when not */
        long long now = w->oom_kills >= 0 ? cgroup_oom_kills() : -1;
        if (now < 0 || now > w->oom_kills)
            w->fail = QB_KIND_OOM;
        snprintf(cause, sizeof(cause), "%s",
                 now < 0              ? "killed by signal 9 (SIGKILL), likely the out-of-memory "
                                        "killer"
                 : now > w->oom_kills ? "killed by the out-of-memory killer (SIGKILL)"
                                      : "killed by signal 9 (SIGKILL)");
    } else if (why == QB_KIND_CRASH && !sigkill) { /* our own SIGKILL says nothing */
        worker_describe_status(status, cause, sizeof(cause));
        if ((w->fail = tail_kind(w->tail)) == QB_KIND_OOM) {
            size_t k = strlen(cause);
            snprintf(cause + k, sizeof(cause) - k, ", out of memory");
        }
    }
    const char *sep = *what && *cause ? ", " : "";
    if (last[0])
        return set_err(err, "worker %s%s%s; its last words: %s", what, sep, cause, last);
    return set_err(err, "worker %s%s%s", what, sep, cause);
}

int worker_call(struct worker *w, const cJSON *req, double timeout_s, cJSON **resp, char *err)
{
    *resp = NULL;
    if (!w->alive)
        return set_err(err, "worker is not running");
    w->fail = QB_KIND_OK;
    char *line = cJSON_PrintUnformatted(req);
    size_t n = strlen(line);
    line = xrealloc(line, n + 2);
    line[n++] = '\n';
    size_t off = 0;
    while (off < n) {
        ssize_t k = write(w->fd_req, line + off, n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            free(line);
            return died(w, QB_KIND_CRASH, true, "stopped reading requests", err);
        }
        off += (size_t)k;
    }
    free(line);

    /* a deadline past a century is none (the seconds would overflow the clock's ns) */
    uint64_t deadline =
        timeout_s > 0 && timeout_s < 3.15e9 ? monotime_ns() + (uint64_t)(timeout_s * 1e9) : 0;
    bool err_open = true;
    for (;;) {
        char *got = lines_pop(&w->resp);
        if (got) {
            cJSON *o = cJSON_Parse(got);
            if (!o || !cJSON_IsObject(o)) {
                cJSON_Delete(o);
                char head[80];
                snprintf(head, sizeof(head), "%s", got);
                free(got);
                died(w, QB_KIND_CRASH, true, "sent a malformed response", err);
                return set_err(err, "worker sent a malformed response: '%s'", head);
            }
            free(got);
            const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "ev");
            if (cJSON_IsString(ev) && strcmp(ev->valuestring, "progress") == 0) {
                const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "p");
                const cJSON *done = cJSON_GetObjectItemCaseSensitive(o, "done");
                const cJSON *total = cJSON_GetObjectItemCaseSensitive(o, "total");
                if (w->on_progress && cJSON_IsNumber(p))
                    w->on_progress(p->valuedouble, w->progress_ud);
                if (w->on_units && cJSON_IsNumber(done) && cJSON_IsNumber(total))
                    w->on_units((long)done->valuedouble, (long)total->valuedouble, w->units_ud);
                cJSON_Delete(o);
                continue;
            }
            if (cJSON_IsString(ev) && strcmp(ev->valuestring, "token") == 0) {
                const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "n");
                const cJSON *text = cJSON_GetObjectItemCaseSensitive(o, "text");
                if (w->on_token && cJSON_IsNumber(n) && cJSON_IsString(text))
                    w->on_token((long)n->valuedouble, text->valuestring, w->token_ud);
                cJSON_Delete(o);
                continue;
            }
            *resp = o;
            return 0;
        }
        if (w->resp.len > WORKER_MAX_LINE)
            return died(w, QB_KIND_CRASH, true, "sent an over-long response", err);
        /* SIGINT / SIGTERM: an answer that came is taken above; else stop the worker now */
        if (sig_caught())
            return died(w, QB_KIND_INTERRUPTED, true, "", err);
        struct pollfd pf[3] = {
            {w->fd_resp, POLLIN, 0}, {err_open ? w->fd_err : -1, POLLIN, 0}, {sig_fd(), POLLIN, 0}};
        int wait_ms = 1000;
        if (deadline) {
            uint64_t now = monotime_ns();
            if (now >= deadline) {
                char what[64];
                snprintf(what, sizeof(what), "timed out after %.0f s", timeout_s);
                return died(w, QB_KIND_TIMEOUT, true, what, err);
            }
            uint64_t left = (deadline - now) / 1000000 + 1;
            wait_ms = left < 1000 ? (int)left : 1000;
        }
        int r = poll(pf, 3, wait_ms);
        if (r < 0 && errno != EINTR)
            return died(w, QB_KIND_CRASH, true, "could not be polled", err);
        if (r <= 0)
            continue;
        if (pf[1].revents) {
            char buf[4096];
            ssize_t k = read(w->fd_err, buf, sizeof(buf));
            if (k > 0)
                tail_add(w, buf, (size_t)k);
            else
                err_open = false;
        }
        if (pf[0].revents) {
            char buf[65536];
            ssize_t k = read(w->fd_resp, buf, sizeof(buf));
            if (k > 0)
                lines_add(&w->resp, buf, (size_t)k);
            else if (k == 0 || errno != EINTR)
                return died(w, QB_KIND_CRASH, false, "", err);
        }
    }
}

void worker_stop(struct worker *w)
{
    if (!w)
        return;
    if (w->alive) {
        static const char quit[] = "{\"op\":\"quit\"}\n";
        (void)!write(w->fd_req, quit, sizeof(quit) - 1);
        close(w->fd_req);
        w->fd_req = -1;
        int status;
        bool done = false;
        /* up to 5 s to exit cleanly; none after SIGINT / SIGTERM */
        for (int i = 0; i < 500 && !done && !sig_caught(); i++) {
            fcntl(w->fd_err, F_SETFL, O_NONBLOCK);
            drain_err(w);
            pid_t r = waitpid(w->pid, &status, WNOHANG);
            if (r == w->pid || (r < 0 && errno == ECHILD))
                done = true;
            else {
                struct timespec ts = {0, 10 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
        }
        if (done)
            sig_untrack_group(w->pid);
        else
            reap(w, true);
    }
    if (w->fd_req >= 0)
        close(w->fd_req);
    close(w->fd_resp);
    close(w->fd_err);
    free(w->resp.buf);
    free(w);
}
