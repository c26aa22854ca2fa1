/* The table to share of a suite run, as `report --suite RUN` and the end of `run` print
 * it: the run's cells read from the store, their rows' memory figures made again as
 * report does (memsum.h), written by report/suite_table in one format. (Its html page is
 * the dashboard's: dash/report.h.) */
#ifndef QB_SUITE_SHARE_H
#define QB_SUITE_SHARE_H

#include <stdint.h>
#include <stdio.h>

#include "../report/table.h"

struct store;

/* The table of suite run run_id to fp as BENCH_FMT_MD, CSV or JSON; -1 with err (nothing
 * written) when the store fails, run_id is not a suite run or fmt is another */
int suite_write_table(struct store *st, int64_t run_id, enum bench_fmt fmt, FILE *fp, char *err);

#endif
