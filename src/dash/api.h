/* The dashboard's read-only JSON API over a results database: one function answers a GET
 * of a path and query string, for the HTTP server (server.c) and for the self-contained
 * html report, which carries the answers its pages ask for (page.h). Nothing here
 * writes. Strings in answers are raw JSON strings: whoever shows them escapes them.
 *
 *   /api/info                      {"version", "llama_commit", "db", "now" (unix s)}
 *   /api/runs                      [run], newest first; run = store_list_runs' object
 *                                  + "suite" (its name or null)
 *   /api/run?id=N                  {"run": run, "suite": {...} | null, "cells": [...] |
 *                                  null (store_suite_cells), "table": [...] | null (the
 *                                  table to share: suite_table_json of the cells),
 *                                  "table_text": {"heads", "rows"} | null (that table's
 *                                  texts as md shows them: suite_table_texts),
 *                                  "progress": {"cells", "done", "failed", "running"
 *                                  (idx | null), "eta_s" | null, "elapsed_s" | null}}
 *   /api/rows?run=N[&kind=K]       [row] as store_query returns them
 *   /api/events?run=N[&after=ID]   [event] as store_events returns them
 *   /api/compare?a=SEL&b=SEL[&method=welch|bootstrap]
 *                                  {"a", "b", "lines": [{"kind", "test", "settings",
 *                                  "metric", "a": {"mean", "pm", "n"}, "b": {...},
 *                                  "ratio", "lo", "hi", "significant"}], "only_a",
 *                                  "only_b"}; SEL as `quantbench compare` takes it
 * progress: for a suite run, "cells" its plan's cells, "done" those with a stored status
 * (from any run), "failed" those of them not ok, "running" the idx of the cell started
 * and not finished while the run has not ended, "elapsed_s" / "eta_s" from its newest
 * event that carries them (eta_s null once the run ended); for another run "cells" and
 * "done" are its rows, "failed" those not ok, "running", "eta_s" and "elapsed_s" null
 * (its started and ended say how long it took).
 * Rows (of /api/rows and of cells) have their memory figures made again as report shows
 * them (memsum.h: mem_summary_fix_row).
 * Every parameter is known to its path, given once, not empty and at most
 * DASH_API_VALUE_MAX bytes once decoded (%XX and '+'; %00 refused); ids are digits.
 * The event stream (/api/stream, Server-Sent Events) is the server's own (server.h). */
#ifndef QB_DASH_API_H
#define QB_DASH_API_H

#include <cjson/cJSON.h>

struct store;

#define DASH_API_VALUE_MAX 512 /* bytes of one decoded query value */

/* The answer to GET path?query (query without '?', NULL or "" none): 0 with *out (the
 * caller frees) and *http_status 200; -1 with *http_status 400 (a bad parameter), 404 (no
 * such path, run or label) or 500 (the database failed) and err naming what is wrong */
int dash_api_get(struct store *st, const char *path, const char *query, cJSON **out,
                 int *http_status, char *err);

#endif
