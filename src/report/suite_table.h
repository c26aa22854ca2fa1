/* The table to share of a suite run (`report --suite`, the end of `run`): one row per
 * model x settings group of the plan, in plan order, with its size, speed, latency,
 * load time, memory, quality and the cells that failed, from the cells JSON that
 * store_suite_cells returns. Written as markdown, CSV (the same cells) or JSON (numbers
 * as numbers, null when unknown; the dashboard's /api/run carries it). A figure no stored
 * row gives is unknown ("-"), never 0. */
#ifndef QB_SUITE_TABLE_H
#define QB_SUITE_TABLE_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "table.h"

/* The table's rows as a JSON array (the caller frees), one object per group:
 * {"group", "model" (file name), "model_path", "settings" (the settings that differ
 * between groups), "size_gib", "bpw", "pp_test", "pp_ts", "pp_ci95", "tg_test", "tg_ts",
 * "tg_ci95", "ttft_ms", "load_cold_s", "load_warm_s", "peak_host_mib", "peak_gpu_mib",
 * "ppl", "ppl_err", "kld", "same_top_pct", "prompts", "failed": [{"test", "status",
 * "reason"}]}. cells is borrowed.
 * - pp / tg: the first cell in plan order of a test pp* without tg (tg* without pp) that
 *   has an ok bench row: the mean of its per-repetition t/s and the half-width of their
 *   95% interval
 * - ttft_ms: the first pp+tg bench row's mean TTFT, else the pp row's mean prompt time
 * - load: the group's bench rows' load times in plan order, rows that share a worker's
 *   load counted once: the first (the file's first read) is cold, the mean of the later
 *   ones warm
 * - peak memory: the largest rss_peak_bytes / mem_gpu_bytes of the group's rows (no GPU
 *   memory: unknown)
 * - quality: the first quality row's ppl, ppl_err, kld.kld and 100 * kld.same_top;
 *   prompts: the first prompts row's score
 * - failed: every cell whose status is not ok ("missing": not stored yet) */
cJSON *suite_table_json(const cJSON *cells);

/* The table of suite_table_json's rows as md shows it: {"heads": [column names], "rows":
 * [[each column's text], ...]} (the caller frees), for a page to show as it is, so every
 * format of the table has the same figures to the digit */
cJSON *suite_table_texts(const cJSON *rows);

/* Write the table of cells to fp as BENCH_FMT_MD, BENCH_FMT_CSV or BENCH_FMT_JSON; -1 with
 * err for another format or when cells is not an array (nothing written then) */
int suite_table_write(FILE *fp, const cJSON *cells, enum bench_fmt fmt, char *err);

#endif
