/* SIGINT / SIGTERM as a flag and a self-pipe (see sig.h). */
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define SIG_TMP_MAX 8
#define SIG_TMP_LEN 4096

static volatile sig_atomic_t caught;
static volatile sig_atomic_t fatal; /* sig_install_fatal: end at the first signal */
/* registered temporary paths: a slot is used once its path is written (used set last) */
static char tmp_path[SIG_TMP_MAX][SIG_TMP_LEN];
static volatile sig_atomic_t tmp_used[SIG_TMP_MAX];
static volatile sig_atomic_t group; /* pid_t is an int on Linux, as sig_atomic_t */
static int pipe_fd[2] = {-1, -1};
static bool installed;

/* unlink and rmdir are async-signal-safe: one of them removes each path */
static void remove_tmp(void)
{
    for (int i = 0; i < SIG_TMP_MAX; i++) /* the files first, then their directories */
        if (tmp_used[i])
            unlink(tmp_path[i]);
    for (int i = SIG_TMP_MAX - 1; i >= 0; i--)
        if (tmp_used[i])
            rmdir(tmp_path[i]);
}

static void on_signal(int sig)
{
    int saved = errno;
    if (fatal) {
        remove_tmp();
        signal(sig, SIG_DFL);
        raise(sig);
        _exit(128 + sig);
    }
    if (caught) { /* the second: force */
        if (group > 0)
            kill(-(pid_t)group, SIGKILL);
        remove_tmp();
        _exit(128 + sig);
    }
    caught = sig;
    if (pipe_fd[1] >= 0)
        (void)!write(pipe_fd[1], "s", 1);
    errno = saved;
}

int sig_install(char *err)
{
    if (installed)
        return 0;
    /* a file grown past RLIMIT_FSIZE (ulimit -f) is a write that fails (EFBIG), which the
     * database's disk-full path handles, not a death without a word */
    signal(SIGXFSZ, SIG_IGN);
    if (pipe2(pipe_fd, O_CLOEXEC | O_NONBLOCK) < 0) {
        pipe_fd[0] = pipe_fd[1] = -1;
        return set_err(err, "cannot create a pipe for signals: %s", strerror(errno));
    }
    const int sigs[] = {SIGINT, SIGTERM};
    for (size_t i = 0; i < QB_ARRAY_LEN(sigs); i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        /* restart reads and writes (stdio, SQLite); poll() and sleeps return early anyway */
        sa.sa_flags = SA_RESTART;
        if (sigaction(sigs[i], &sa, NULL) < 0)
            return set_err(err, "cannot install a signal handler: %s", strerror(errno));
    }
    installed = true;
    return 0;
}

int sig_install_fatal(char *err)
{
    fatal = 1;
    return sig_install(err);
}

int sig_tmp_add(const char *path)
{
    size_t n = strlen(path);
    if (n >= SIG_TMP_LEN)
        return -1;
    for (int i = 0; i < SIG_TMP_MAX; i++)
        if (!tmp_used[i]) {
            memcpy(tmp_path[i], path, n + 1);
            tmp_used[i] = 1;
            return 0;
        }
    return -1;
}

void sig_tmp_remove(const char *path)
{
    for (int i = SIG_TMP_MAX - 1; i >= 0; i--)
        if (tmp_used[i] && strcmp(tmp_path[i], path) == 0) {
            tmp_used[i] = 0;
            return;
        }
}

int sig_caught(void)
{
    return caught;
}

int sig_exit_code(void)
{
    return caught ? 128 + caught : 0;
}

int sig_fd(void)
{
    return pipe_fd[0];
}

void sig_track_group(pid_t pgid)
{
    group = pgid;
}

void sig_untrack_group(pid_t pgid)
{
    if (group == pgid)
        group = 0;
}

void sig_clear(void)
{
    char buf[16];
    caught = 0;
    if (pipe_fd[0] >= 0)
        while (read(pipe_fd[0], buf, sizeof(buf)) > 0)
            ;
}
