/* The commands table and exit codes.
 *
 * Adding a subcommand: 1) write src/cli/cmd_foo.c with `int cmd_foo(int argc, char **argv)`
 * 2) declare it below 3) add a row to commands[] in src/main.c 4) add tests/cli/tNNNN-foo-*.sh
 */
#ifndef QB_CMD_H
#define QB_CMD_H

#include <cjson/cJSON.h>

#include "../util/exit.h"
#include "../util/util.h"

/* After a run (bench, sweep, batched) with n_noisy rows of n_rows flagged noisy: one
 * warning line with the load average at the start (load_start, -1 unknown) and now */
void warn_noisy(int n_noisy, int n_rows, double load_start);

int cmd_batched(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_ctxmax(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_mem(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_prompts(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_quality(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
