/* Stopping on SIGINT (Ctrl-C) and SIGTERM without losing anything. The handler only
 * records the signal (a sig_atomic_t, and a byte on a self-pipe so that a poll() wakes);
 * the waits that can last (a worker's answer) notice it, kill the worker's process group,
 * and the command unwinds normally: finished rows are written and stored, the run is
 * marked interrupted, temporary files are removed. A second signal forces: it kills the
 * worker group it knows of and exits at once with 128 + the signal. Nothing here prints. */
#ifndef QB_SIG_H
#define QB_SIG_H

#include <sys/types.h>

/* Install the handlers for SIGINT and SIGTERM (once per process; a signal that was
 * ignored on entry, as for a job started with '&' by a script, stays ignored). 0, or -1
 * with err. */
int sig_install(char *err);

/* The signal caught so far (SIGINT or SIGTERM), 0 if none. */
int sig_caught(void);

/* 128 + the signal caught (130 for SIGINT, 143 for SIGTERM), 0 if none. */
int sig_exit_code(void);

/* The self-pipe's read end, readable once a signal was caught (for poll); -1 when the
 * handlers are not installed. */
int sig_fd(void);

/* The process group a forcing second signal kills (a worker's); 0 for none. Untracking
 * a group that is not the tracked one does nothing. */
void sig_track_group(pid_t pgid);
void sig_untrack_group(pid_t pgid);

/* Like sig_install, for the commands that only read or import (report, compare,
 * import): a signal removes the registered temporary paths and ends the process with the
 * signal's default action at once (they hold no worker and no half-written row). */
int sig_install_fatal(char *err);

/* Temporary files and directories a signal that ends the process must not leave behind
 * (a private copy of a database, say): the files are unlinked, then the directories
 * removed (once empty). The path is copied; at most 8 at once;
 * -1 when full. Removing one that is not registered does nothing. */
int sig_tmp_add(const char *path);
void sig_tmp_remove(const char *path);

/* Forget a caught signal (tests). */
void sig_clear(void);

#endif
