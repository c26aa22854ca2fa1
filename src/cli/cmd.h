/* The commands table and exit codes.
 *
 * Adding a subcommand: 1) write src/cli/cmd_foo.c with `int cmd_foo(int argc, char **argv)`
 * 2) declare it below 3) add a row to commands[] in src/main.c 4) add tests/cli/tNNNN-foo-*.sh
 */
#ifndef QB_CMD_H
#define QB_CMD_H

#include "../util/util.h"

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
/* After a run (bench, sweep, batched) with n_noisy rows of n_rows flagged noisy: one
 * warning line with the load average at the start (load_start, -1 unknown) and now */
void warn_noisy(int n_noisy, int n_rows, double load_start);

int cmd_batched(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_ctxmax(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_mem(int argc, char **argv);
int cmd_quality(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
