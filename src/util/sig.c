/* SIGINT / SIGTERM as a flag and a self-pipe (see sig.h). */
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static volatile sig_atomic_t caught;
static volatile sig_atomic_t group; /* pid_t is an int on Linux, as sig_atomic_t */
static int pipe_fd[2] = {-1, -1};
static bool installed;

static void on_signal(int sig)
{
    int saved = errno;
    if (caught) { /* the second: force */
        if (group > 0)
            kill(-(pid_t)group, SIGKILL);
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
