/* bench output (see bench_report.h). Markdown follows llama-bench's printer:
 * column widths, "pp512 @ d2048" test names, "avg ± sd" t/s, a build footer. CSV and
 * SQL carry llama-bench's fields first so llama.cpp's scripts read them; SQL also
 * fills a quantbench_bench table with every field of ours. */
#include "bench_report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../record/field.h"
#include "../record/memsum.h"
#include "../util/json.h"
#include "../util/util.h"

#ifndef QB_VERSION
#define QB_VERSION "0.1.0"
#endif

const char *const bench_llama_fields[] = {"build_commit",   "build_number",
                                          "cpu_info",       "gpu_info",
                                          "backends",       "model_filename",
                                          "model_type",     "model_size",
                                          "model_n_params", "n_batch",
                                          "n_ubatch",       "n_threads",
                                          "cpu_mask",       "cpu_strict",
                                          "poll",           "type_k",
                                          "type_v",         "n_gpu_layers",
                                          "n_cpu_moe",      "split_mode",
                                          "main_gpu",       "no_kv_offload",
                                          "flash_attn",     "devices",
                                          "tensor_split",   "tensor_buft_overrides",
                                          "load_mode",      "lazy_mode",
                                          "embeddings",     "no_op_offload",
                                          "no_host",        "fit_target",
                                          "fit_min_ctx",    "n_prompt",
                                          "n_gen",          "n_depth",
                                          "test_time",      "avg_ns",
                                          "stddev_ns",      "avg_ts",
                                          "stddev_ts",      NULL};

static const char *split_name(enum engine_split_mode m)
{
    switch (m) {
    case ENGINE_SPLIT_NONE: return "none";
    case ENGINE_SPLIT_LAYER: return "layer";
    case ENGINE_SPLIT_ROW: return "row";
    case ENGINE_SPLIT_TENSOR: return "tensor";
    }
    return "?";
}

static const char *load_mode_name(int use_mmap)
{
    return use_mmap == 1 ? "mmap" : use_mmap == 0 ? "none" : "auto";
}

static cJSON *num_array(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

cJSON *bench_row_json(const struct bench_row *r)
{
    const struct engine_ctx_params *cp = &r->t.cp;
    const struct pp_tg_params *pt = &r->t.pt;
    char ts[160];
    cJSON *o = cJSON_CreateObject();
    /* llama-bench's fields, in its order */
    cJSON_AddStringToObject(o, "build_commit", r->build.commit);
    cJSON_AddNumberToObject(o, "build_number", r->build.build_number);
    cJSON_AddStringToObject(o, "cpu_info", r->build.cpu_info);
    cJSON_AddStringToObject(o, "gpu_info", r->build.gpu_info);
    cJSON_AddStringToObject(o, "backends", r->build.backends);
    cJSON_AddStringToObject(o, "model_filename", r->model_filename);
    cJSON_AddStringToObject(o, "model_type", r->model.desc);
    cJSON_AddNumberToObject(o, "model_size", (double)r->model.size);
    cJSON_AddNumberToObject(o, "model_n_params", (double)r->model.n_params);
    cJSON_AddNumberToObject(o, "n_batch", cp->n_batch);
    cJSON_AddNumberToObject(o, "n_ubatch", cp->n_ubatch);
    cJSON_AddNumberToObject(o, "n_threads", cp->n_threads);
    cJSON_AddStringToObject(o, "cpu_mask", cp->cpu_mask);
    cJSON_AddBoolToObject(o, "cpu_strict", cp->cpu_strict);
    cJSON_AddNumberToObject(o, "poll", cp->poll);
    cJSON_AddStringToObject(o, "type_k", cp->type_k);
    cJSON_AddStringToObject(o, "type_v", cp->type_v);
    cJSON_AddNumberToObject(o, "n_gpu_layers", r->mp.n_gpu_layers);
    cJSON_AddNumberToObject(o, "n_cpu_moe", r->mp.n_cpu_moe);
    cJSON_AddStringToObject(o, "split_mode", split_name(r->mp.split_mode));
    cJSON_AddNumberToObject(o, "main_gpu", r->mp.main_gpu);
    cJSON_AddBoolToObject(o, "no_kv_offload", cp->no_kv_offload);
    cJSON_AddNumberToObject(o, "flash_attn", cp->flash_attn);
    cJSON_AddStringToObject(o, "devices", r->mp.devices[0] ? r->mp.devices : "auto");
    field_floats_text(r->mp.tensor_split, ENGINE_MAX_DEVICES, ts, sizeof(ts));
    cJSON_AddStringToObject(o, "tensor_split", ts);
    cJSON_AddStringToObject(o, "tensor_buft_overrides",
                            r->mp.overrides[0] ? r->mp.overrides : "none");
    cJSON_AddStringToObject(o, "load_mode", load_mode_name(r->mp.use_mmap));
    cJSON_AddStringToObject(o, "lazy_mode", "auto");
    cJSON_AddBoolToObject(o, "embeddings", 0);
    cJSON_AddNumberToObject(o, "no_op_offload", 0);
    cJSON_AddBoolToObject(o, "no_host", 0);
    cJSON_AddNumberToObject(o, "fit_target", 0);
    cJSON_AddNumberToObject(o, "fit_min_ctx", 0);
    cJSON_AddNumberToObject(o, "n_prompt", pt->n_prompt);
    cJSON_AddNumberToObject(o, "n_gen", pt->n_gen);
    cJSON_AddNumberToObject(o, "n_depth", pt->n_depth);
    cJSON_AddStringToObject(o, "test_time", r->test_time);
    const struct stats *s = &r->ts;
    cJSON_AddNumberToObject(o, "avg_ns", (double)r->avg_ns);
    cJSON_AddNumberToObject(o, "stddev_ns", (double)r->stddev_ns);
    cJSON_AddNumberToObject(o, "avg_ts", s->mean);
    cJSON_AddNumberToObject(o, "stddev_ts", s->stddev);
    cJSON_AddItemToObject(o, "samples_ns", json_u64_array(r->samples_ns, r->n));
    cJSON_AddItemToObject(o, "samples_ts", num_array(r->samples_ts, r->n));
    /* ours */
    cJSON_AddStringToObject(o, "status", bench_status_name(r->status));
    cJSON_AddStringToObject(o, "error", r->status == BENCH_STATUS_OK ? "" : r->error);
    cJSON_AddNumberToObject(o, "median_ts", s->median);
    cJSON_AddNumberToObject(o, "min_ts", s->min);
    cJSON_AddNumberToObject(o, "max_ts", s->max);
    cJSON_AddNumberToObject(o, "ci95_ts", s->ci95);
    cJSON_AddBoolToObject(o, "noisy", r->noisy);
    cJSON_AddNumberToObject(o, "reps", r->n);
    cJSON_AddStringToObject(o, "reps_stop", r->reps_stop);
    cJSON_AddNumberToObject(o, "pp_avg_ts", r->pp_ts.mean);
    cJSON_AddNumberToObject(o, "pp_stddev_ts", r->pp_ts.stddev);
    cJSON_AddNumberToObject(o, "tg_avg_ts", r->tg_ts.mean);
    cJSON_AddNumberToObject(o, "tg_stddev_ts", r->tg_ts.stddev);
    cJSON_AddNumberToObject(o, "ttft_ns", (double)r->ttft_avg_ns);
    cJSON_AddNumberToObject(o, "t_pp_ns", (double)r->t_pp_ns);
    cJSON_AddNumberToObject(o, "t_tg_ns", (double)r->t_tg_ns);
    cJSON_AddItemToObject(o, "samples_pp_ns", json_u64_array(r->pp_ns, r->n));
    cJSON_AddItemToObject(o, "samples_tg_ns", json_u64_array(r->tg_ns, r->n));
    cJSON_AddItemToObject(o, "samples_ttft_ns", json_u64_array(r->ttft_ns, r->n));
    cJSON_AddNumberToObject(o, "load_ns", (double)r->load_ns);
    cJSON_AddNumberToObject(o, "ctx_ns", (double)r->ctx_ns);
    cJSON_AddNumberToObject(o, "warmup_ns", (double)r->warmup_ns);
    cJSON_AddNumberToObject(o, "depth_ns", (double)r->depth_ns);
    cJSON_AddNumberToObject(o, "depth_fills", r->depth_fills);
    cJSON_AddStringToObject(o, "model_id", r->model_id);
    struct mem_summary ms;
    mem_summary_from(r->mem, &ms);
    mem_summary_add(o, &ms, r->mem);
    cJSON_AddBoolToObject(o, "warmup", !pt->no_warmup);
    cJSON_AddNumberToObject(o, "n_ctx", cp->n_ctx);
    cJSON_AddNumberToObject(o, "seed", (double)pt->seed);
    cJSON_AddNumberToObject(o, "prio", cp->prio);
    cJSON_AddNumberToObject(o, "numa", r->wl.numa);
    cJSON_AddNumberToObject(o, "delay_s", r->t.delay_s);
    cJSON_AddStringToObject(o, "llama_version", r->build.version);
    cJSON_AddStringToObject(o, "system_info", r->build.system_info);
    cJSON_AddStringToObject(o, "host", r->host);
    cJSON_AddNumberToObject(o, "host_cpus", r->host_cpus);
    cJSON_AddNumberToObject(o, "host_ram_bytes", (double)r->host_ram);
    cJSON_AddStringToObject(o, "quantbench_version", QB_VERSION);
    return o;
}

/* ---- markdown ---- */

struct md_col {
    unsigned bit; /* 0 = always */
    const char *name;
    int width; /* negative: left-aligned */
};

/* llama-bench's widths; ours (pp/tg/ttft, load, ctx) come after its t/s */
static const struct md_col md_cols[] = {
    {0, "model", -30},
    {0, "size", 10},
    {0, "params", 10},
    {0, "backend", -10},
    {BENCH_COL_NGL, "ngl", 3},
    {BENCH_COL_NCMOE, "n_cpu_moe", 9},
    {BENCH_COL_THREADS, "threads", 7},
    {BENCH_COL_CPU_MASK, "cpu_mask", 8},
    {BENCH_COL_CPU_STRICT, "cpu_strict", 10},
    {BENCH_COL_POLL, "poll", 4},
    {BENCH_COL_BATCH, "n_batch", 7},
    {BENCH_COL_UBATCH, "n_ubatch", 8},
    {BENCH_COL_TYPE_K, "type_k", 6},
    {BENCH_COL_TYPE_V, "type_v", 6},
    {BENCH_COL_MG, "main_gpu", 8},
    {BENCH_COL_SM, "sm", 6},
    {BENCH_COL_NKVO, "nkvo", 13},
    {BENCH_COL_FA, "fa", 3},
    {BENCH_COL_DEV, "dev", -12},
    {BENCH_COL_TS, "ts", -12},
    {BENCH_COL_OT, "ot", -12},
    {BENCH_COL_LM, "lm", 10},
    {0, "test", 15},
    {0, "t/s", 20},
    {BENCH_COL_PG, "pp t/s", 10},
    {BENCH_COL_PG, "tg t/s", 10},
    {BENCH_COL_PG, "ttft ms", 9},
    {0, "load ms", 9},
    {0, "ctx ms", 8},
    {BENCH_COL_MEM, "host MiB", 9},
    {BENCH_COL_MEM, "GPU MiB", 9},
    {BENCH_COL_MEM, "peak RSS MiB", 12},
    {0, "noisy", 5}, /* the row's 95% CI half-width is above 5% of its mean */
};

static int abs_i(int x)
{
    return x < 0 ? -x : x;
}

static bool shown(const struct bench_report *rp, const struct md_col *c)
{
    return !c->bit || (rp->cols & c->bit);
}

static void md_header(struct bench_report *rp)
{
    FILE *fp = rp->fp;
    fputc('|', fp);
    for (size_t i = 0; i < QB_ARRAY_LEN(md_cols); i++)
        if (shown(rp, &md_cols[i]))
            fprintf(fp, " %*s |", md_cols[i].width, md_cols[i].name);
    fputs("\n|", fp);
    for (size_t i = 0; i < QB_ARRAY_LEN(md_cols); i++) {
        if (!shown(rp, &md_cols[i]))
            continue;
        fputc(' ', fp);
        for (int k = 0; k < abs_i(md_cols[i].width) - 1; k++)
            fputc('-', fp);
        fprintf(fp, "%s |", md_cols[i].width > 0 ? ":" : "-");
    }
    fputc('\n', fp);
}

static void md_value(const struct bench_row *r, const char *name, char *v, size_t n, int *width)
{
    const struct engine_ctx_params *cp = &r->t.cp;
    const struct pp_tg_params *pt = &r->t.pt;
    bool ok = r->status == BENCH_STATUS_OK;
    if (!strcmp(name, "model"))
        snprintf(v, n, "%s", r->model.desc[0] ? r->model.desc : r->model_filename);
    else if (!strcmp(name, "size"))
        fmt_bytes(v, n, r->model.size);
    else if (!strcmp(name, "params"))
        snprintf(v, n, r->model.n_params < 1000000000ull ? "%.2f M" : "%.2f B",
                 r->model.n_params < 1000000000ull ? (double)r->model.n_params / 1e6
                                                   : (double)r->model.n_params / 1e9);
    else if (!strcmp(name, "backend"))
        snprintf(v, n, "%s", r->build.backends[0] ? r->build.backends : "?");
    else if (!strcmp(name, "ngl"))
        snprintf(v, n, "%d", r->mp.n_gpu_layers);
    else if (!strcmp(name, "n_cpu_moe"))
        snprintf(v, n, "%d", r->mp.n_cpu_moe);
    else if (!strcmp(name, "threads"))
        snprintf(v, n, "%d", cp->n_threads);
    else if (!strcmp(name, "cpu_mask"))
        snprintf(v, n, "%s", cp->cpu_mask);
    else if (!strcmp(name, "cpu_strict"))
        snprintf(v, n, "%d", cp->cpu_strict);
    else if (!strcmp(name, "poll"))
        snprintf(v, n, "%d", cp->poll);
    else if (!strcmp(name, "n_batch"))
        snprintf(v, n, "%u", cp->n_batch);
    else if (!strcmp(name, "n_ubatch"))
        snprintf(v, n, "%u", cp->n_ubatch);
    else if (!strcmp(name, "type_k"))
        snprintf(v, n, "%s", cp->type_k);
    else if (!strcmp(name, "type_v"))
        snprintf(v, n, "%s", cp->type_v);
    else if (!strcmp(name, "main_gpu"))
        snprintf(v, n, "%d", r->mp.main_gpu);
    else if (!strcmp(name, "sm"))
        snprintf(v, n, "%s", split_name(r->mp.split_mode));
    else if (!strcmp(name, "nkvo"))
        snprintf(v, n, "%d", cp->no_kv_offload);
    else if (!strcmp(name, "fa"))
        snprintf(v, n, "%d", cp->flash_attn);
    else if (!strcmp(name, "dev"))
        snprintf(v, n, "%s", r->mp.devices[0] ? r->mp.devices : "auto");
    else if (!strcmp(name, "ts"))
        field_floats_text(r->mp.tensor_split, ENGINE_MAX_DEVICES, v, n);
    else if (!strcmp(name, "ot"))
        snprintf(v, n, "%s", r->mp.overrides[0] ? r->mp.overrides : "none");
    else if (!strcmp(name, "lm"))
        snprintf(v, n, "%s", load_mode_name(r->mp.use_mmap));
    else if (!strcmp(name, "test"))
        bench_test_name(r, v, n);
    else if (!strcmp(name, "t/s")) {
        if (ok) {
            snprintf(v, n, "%.2f ± %.2f", r->ts.mean, r->ts.stddev);
            *width += 1; /* the ± is two bytes */
        } else {
            snprintf(v, n, "%s", bench_status_name(r->status));
        }
    } else if (!strcmp(name, "pp t/s") || !strcmp(name, "tg t/s") || !strcmp(name, "ttft ms")) {
        v[0] = '\0';
        if (ok && pt->n_prompt > 0 && pt->n_gen > 0) {
            if (!strcmp(name, "ttft ms"))
                snprintf(v, n, "%.2f", (double)r->ttft_avg_ns / 1e6);
            else if (!strcmp(name, "pp t/s"))
                snprintf(v, n, "%.2f", r->pp_ts.mean);
            else
                snprintf(v, n, "%.2f", r->tg_ts.mean);
        }
    } else if (!strcmp(name, "load ms") || !strcmp(name, "ctx ms")) {
        bool load = !strcmp(name, "load ms");
        uint64_t ns = load ? r->load_ns : r->ctx_ns;
        v[0] = '\0';
        if (ns)
            snprintf(v, n, load ? "%.0f" : "%.1f", (double)ns / 1e6);
    } else if (!strcmp(name, "host MiB") || !strcmp(name, "GPU MiB") ||
               !strcmp(name, "peak RSS MiB")) {
        struct mem_summary ms;
        mem_summary_from(r->mem, &ms);
        uint64_t b = name[0] == 'h' ? ms.host : name[0] == 'G' ? ms.gpu : ms.rss_peak;
        v[0] = '\0';
        if (ms.have)
            snprintf(v, n, "%.2f", (double)b / 1048576.0);
    } else if (!strcmp(name, "noisy"))
        snprintf(v, n, "%s", r->noisy ? "noisy" : "");
    else
        v[0] = '\0';
}

static void md_row(struct bench_report *rp, const struct bench_row *r)
{
    char v[512];
    fputc('|', rp->fp);
    for (size_t i = 0; i < QB_ARRAY_LEN(md_cols); i++) {
        if (!shown(rp, &md_cols[i]))
            continue;
        int width = md_cols[i].width;
        md_value(r, md_cols[i].name, v, sizeof(v), &width);
        /* file names, -ot patterns, devices: no terminal escape, no '|' or newline that
         * would break the table */
        char *e = str_escape(v, STR_ESC_MD);
        fprintf(rp->fp, " %*s |", width, e);
        free(e);
    }
    fputc('\n', rp->fp);
}

/* ---- csv / sql ---- */

static bool is_llama_field(const char *name)
{
    for (int i = 0; bench_llama_fields[i]; i++)
        if (!strcmp(bench_llama_fields[i], name))
            return true;
    return false;
}

static const char *sql_type(const cJSON *it, const char *name)
{
    if (cJSON_IsString(it) || cJSON_IsArray(it))
        return "TEXT";
    if (cJSON_IsBool(it))
        return "INTEGER";
    /* llama-bench's REAL fields; every other number of its is an integer */
    if (!strcmp(name, "avg_ts") || !strcmp(name, "stddev_ts"))
        return "REAL";
    return is_llama_field(name) ? "INTEGER" : "NUMERIC";
}

static void sql_create(FILE *fp, const cJSON *o, const char *table, bool llama_only)
{
    const cJSON *it;
    bool first = true;
    fprintf(fp, "CREATE TABLE IF NOT EXISTS %s (\n", table);
    cJSON_ArrayForEach (it, o) {
        if (llama_only && !is_llama_field(it->string))
            continue;
        fprintf(fp, "%s  %s %s", first ? "" : ",\n", it->string, sql_type(it, it->string));
        first = false;
    }
    fprintf(fp, "\n);\n");
}

static void sql_insert(FILE *fp, const cJSON *o, const char *table, bool llama_only)
{
    const cJSON *it;
    bool first = true;
    fprintf(fp, "INSERT INTO %s (", table);
    cJSON_ArrayForEach (it, o) {
        if (llama_only && !is_llama_field(it->string))
            continue;
        fprintf(fp, "%s%s", first ? "" : ", ", it->string);
        first = false;
    }
    fprintf(fp, ") VALUES (");
    first = true;
    cJSON_ArrayForEach (it, o) {
        if (llama_only && !is_llama_field(it->string))
            continue;
        char *t = table_value_text(it);
        if (!first)
            fputs(", ", fp);
        if (cJSON_IsNumber(it) || cJSON_IsBool(it))
            fputs(t, fp);
        else
            table_put_quoted(fp, t, '\'');
        free(t);
        first = false;
    }
    fprintf(fp, ");\n");
}

/* llama_bench holds exactly llama-bench's columns, so its own rows and ours can share a
 * database; quantbench_bench holds every field of ours. */
static void sql_row(struct bench_report *rp, const cJSON *o)
{
    if (!rp->header_done) {
        sql_create(rp->fp, o, "llama_bench", true);
        sql_create(rp->fp, o, "quantbench_bench", false);
        fputc('\n', rp->fp);
        rp->header_done = true;
    }
    sql_insert(rp->fp, o, "llama_bench", true);
    sql_insert(rp->fp, o, "quantbench_bench", false);
}

/* ---- the writer ---- */

void bench_report_begin(struct bench_report *rp, FILE *fp, enum bench_fmt fmt, unsigned cols)
{
    memset(rp, 0, sizeof(*rp));
    rp->fp = fp;
    rp->fmt = fmt;
    rp->cols = cols;
    bool rows = fmt == BENCH_FMT_CSV || fmt == BENCH_FMT_JSON || fmt == BENCH_FMT_JSONL;
    table_begin(&rp->t, fp, rows ? fmt : BENCH_FMT_NONE, NULL, 0);
}

static bool is_cpu_backend(const char *b)
{
    return strstr(b, "CPU") || strstr(b, "BLAS") || strstr(b, "ZenDNN") || !b[0];
}

void bench_report_row(struct bench_report *rp, const struct bench_row *r)
{
    if (rp->fmt == BENCH_FMT_NONE)
        return;
    if (rp->fmt == BENCH_FMT_MD) {
        if (!rp->header_done) {
            /* as llama-bench: ngl on GPU backends, threads always on CPU ones */
            if (is_cpu_backend(r->build.backends))
                rp->cols |= BENCH_COL_THREADS;
            else
                rp->cols |= BENCH_COL_NGL;
            md_header(rp);
            rp->header_done = true;
        }
        md_row(rp, r);
        if (r->build.commit[0])
            snprintf(rp->footer, sizeof(rp->footer), "build: %s (%d)", r->build.commit,
                     r->build.build_number);
    } else {
        cJSON *o = bench_row_json(r);
        if (rp->fmt == BENCH_FMT_SQL) {
            sql_row(rp, o);
        } else {
            table_row(&rp->t, o);
        }
        cJSON_Delete(o);
    }
    rp->n_rows++;
    fflush(rp->fp);
}

void bench_report_end(struct bench_report *rp)
{
    table_end(&rp->t);
    if (rp->fmt == BENCH_FMT_NONE)
        return;
    if (rp->fmt == BENCH_FMT_MD && rp->footer[0])
        fprintf(rp->fp, "\n%s\n", rp->footer);
    fflush(rp->fp);
}
