/* The dashboard's read-only JSON API over a results database: one function answers a GET
 * of a path and query string, for the HTTP server (server.c) and for the self-contained
 * html report, which carries the answers its pages ask for (page.h). Nothing here
 * writes. Strings in answers are raw JSON strings: whoever shows them escapes them.
 *
 *   /api/info                      {"version", "llama_commit", "db", "now"}
 *   /api/runs                      [run], newest first; run = store_list_runs' object
 *                                  + "suite" (its name or null)
 *   /api/run?id=N                  {"run": run, "suite": {...} | null, "cells": [...] |
 *                                  null (store_suite_cells), "progress": {"cells",
 *                                  "done", "failed", "running" (idx | null), "eta_s" |
 *                                  null, "elapsed_s" | null}}
 *   /api/rows?run=N[&kind=K]       [row] as store_query returns them
 *   /api/events?run=N[&after=ID]   [event] as store_events returns them
 *   /api/compare?a=SEL&b=SEL[&method=welch|bootstrap]
 *                                  {"a", "b", "lines": [{"kind", "test", "settings",
 *                                  "metric", "a": {"mean", "pm", "n"}, "b": {...},
 *                                  "ratio", "lo", "hi", "significant"}], "only_a",
 *                                  "only_b"}; SEL as `quantbench compare` takes it
 * The event stream (/api/stream, Server-Sent Events) is the server's own (server.h). */
#ifndef QB_DASH_API_H
#define QB_DASH_API_H

#include <cjson/cJSON.h>

struct store;

/* The answer to GET path?query (query without '?', NULL or "" none): 0 with *out (the
 * caller frees) and *http_status 200; -1 with *http_status 400 (a bad parameter), 404 (no
 * such path, run or label) or 500 (the database failed) and err naming what is wrong */
int dash_api_get(struct store *st, const char *path, const char *query, cJSON **out,
                 int *http_status, char *err);

#endif
