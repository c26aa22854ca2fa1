/* Exit codes, the same for every command (listed in each --help). */
#ifndef QB_EXIT_H
#define QB_EXIT_H

#include "util.h"

/* Exit codes, the same for every command (listed in each --help) */
enum qb_exit {
    QB_EXIT_OK = 0,        /* success */
    QB_EXIT_FAIL = 1,      /* a runtime failure (cannot write output, llama.cpp refused, ...) */
    QB_EXIT_USAGE = 2,     /* bad flags or flag values */
    QB_EXIT_INPUT = 3,     /* an input file is missing, unreadable or not a valid GGUF */
    QB_EXIT_PARTIAL = 4,   /* some benchmark rows failed (worker crash, OOM, timeout); others ran */
    QB_EXIT_NOFIT = 5,     /* mem --budget: the models do not fit the budget */
    QB_EXIT_SIGINT = 130,  /* interrupted by Ctrl-C (SIGINT): finished rows kept */
    QB_EXIT_SIGTERM = 143, /* stopped by SIGTERM: finished rows kept */
};

#define QB_EXIT_CODES_HELP                                                                         \
    "Exit codes:\n"                                                                                \
    "  0  success\n"                                                                               \
    "  1  runtime failure\n"                                                                       \
    "  2  usage error (unknown flag, bad value)\n"                                                 \
    "  3  input error (model file missing, unreadable, not GGUF, truncated, corrupt)\n"            \
    "  4  partial: some rows failed (worker crashed, ran out of memory or timed out)\n"            \
    "  5  mem --budget: the models do not fit\n"                                                   \
    "  130, 143  interrupted by SIGINT (Ctrl-C) / SIGTERM: finished rows are kept\n"

/* What kind of failure an error is, set where it arises (the worker, the engine, a
 * parser) and carried to the exit code and a row's status; the message is for people and
 * never read back to tell kinds apart. */
enum qb_kind {
    QB_KIND_OK = 0,      /* no failure */
    QB_KIND_USAGE,       /* bad flags or flag values */
    QB_KIND_INPUT,       /* an input file is missing, unreadable, malformed or too short */
    QB_KIND_RUNTIME,     /* a failure while running (llama.cpp refused, a write failed, ...) */
    QB_KIND_TIMEOUT,     /* a worker overran its timeout and was killed */
    QB_KIND_CRASH,       /* a worker died (a signal, an abort, an exit) or spoke nonsense */
    QB_KIND_OOM,         /* out of memory: an allocation failed or the OOM killer struck */
    QB_KIND_INTERRUPTED, /* SIGINT / SIGTERM stopped it */
};

/* The exit code of a command that failed with kind k: 0, 2 usage, 3 input, 1 otherwise
 * (an interruption's 130 / 143 is main's to give, from the signal) */
int qb_kind_exit(enum qb_kind k);
/* "ok", "usage", "input", "runtime", "timeout", "crash", "oom", "interrupted" (static) */
const char *qb_kind_name(enum qb_kind k);
/* The kind named name (as qb_kind_name gives it); QB_KIND_RUNTIME for NULL or another */
enum qb_kind qb_kind_by_name(const char *name);

/* Print "quantbench: error: MSG" on stderr; returns QB_EXIT_FAIL */
int error(const char *fmt, ...) QB_FMT(1, 2);
/* Print a usage error ending with the help hint; returns QB_EXIT_USAGE */
int usage_error(const char *cmd, const char *fmt, ...) QB_FMT(2, 3);
#endif
