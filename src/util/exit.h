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

/* Print "quantbench: error: MSG" on stderr; returns QB_EXIT_FAIL */
int error(const char *fmt, ...) QB_FMT(1, 2);
/* Print a usage error ending with the help hint; returns QB_EXIT_USAGE */
int usage_error(const char *cmd, const char *fmt, ...) QB_FMT(2, 3);
#endif
