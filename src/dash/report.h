/* The self-contained html report (`report -o html`, `report --suite RUN -o html`, `run -o
 * html`): the dashboard's page (page.h) with the API answers its views ask for inside, each
 * made by dash_api_get, so a report carries exactly what the server would answer. */
#ifndef QB_DASH_REPORT_H
#define QB_DASH_REPORT_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

struct store;

/* The report's data for the runs run_ids[0..n) (a run given twice is taken once): an object
 * (the caller frees) keyed "<path>?<query>" as api.h's canonical URLs: "/api/runs"
 * (only these runs, newest first), and per run "/api/run?id=N", "/api/rows?run=N"
 * and "/api/events?run=N" without its "tokens" events (the answers' rows hold their text).
 * 0, or -1 with err (a run that does not exist, the store failing) */
int dash_report_data(struct store *st, const int64_t *run_ids, int n, cJSON **out, char *err);

/* The page titled title holding the data of those runs, written to fp: 0, or -1 with err */
int dash_report_write(struct store *st, const char *title, const int64_t *run_ids, int n, FILE *fp,
                      char *err);

/* The page of suite run run_id alone, titled "quantbench suite NAME" (its suite's name,
 * else "of run N"): 0, or -1 with err */
int dash_report_suite(struct store *st, int64_t run_id, FILE *fp, char *err);

#endif
