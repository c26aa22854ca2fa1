/* bench output (see bench_report.h). Markdown follows llama-bench's printer:
 * column widths, "pp512 @ d2048" test names, "avg ± sd" t/s, a build footer. */
#include "bench_report.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

#ifndef QB_VERSION
#define QB_VERSION "0.1.0"
#endif

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

static void test_name(const struct bench_row *r, char *buf, size_t n)
{
    const struct pp_tg_params *p = &r->t.pt;
    int k;
    if (p->n_prompt > 0 && p->n_gen == 0)
        k = snprintf(buf, n, "pp%d", p->n_prompt);
    else if (p->n_gen > 0 && p->n_prompt == 0)
        k = snprintf(buf, n, "tg%d", p->n_gen);
    else
        k = snprintf(buf, n, "pp%d+tg%d", p->n_prompt, p->n_gen);
    if (p->n_depth > 0 && k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, " @ d%d", p->n_depth);
}

static cJSON *num_array(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static void add_part(cJSON *o, const char *name, const struct bench_row *r, int tokens,
                     const uint64_t *ns)
{
    double *ts = xcalloc((size_t)(r->n ? r->n : 1), sizeof(double));
    bench_row_part_ts(r, tokens, ns, ts);
    struct stats s = stats_compute(ts, (size_t)r->n);
    char key[64];
    snprintf(key, sizeof(key), "%s_avg_ts", name);
    cJSON_AddNumberToObject(o, key, s.mean);
    snprintf(key, sizeof(key), "%s_stddev_ts", name);
    cJSON_AddNumberToObject(o, key, s.stddev);
    snprintf(key, sizeof(key), "t_%s_ns", name);
    cJSON_AddItemToObject(o, key, proto_u64_array(ns, r->n));
    free(ts);
}

cJSON *bench_row_json(const struct bench_row *r)
{
    const struct engine_ctx_params *cp = &r->t.cp;
    const struct pp_tg_params *pt = &r->t.pt;
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
    cJSON_AddStringToObject(o, "cpu_mask", "0x0");
    cJSON_AddBoolToObject(o, "cpu_strict", 0);
    cJSON_AddNumberToObject(o, "poll", cp->poll);
    cJSON_AddStringToObject(o, "type_k", cp->type_k);
    cJSON_AddStringToObject(o, "type_v", cp->type_v);
    cJSON_AddNumberToObject(o, "n_gpu_layers", r->mp.n_gpu_layers);
    cJSON_AddNumberToObject(o, "n_cpu_moe", 0);
    cJSON_AddStringToObject(o, "split_mode", split_name(r->mp.split_mode));
    cJSON_AddNumberToObject(o, "main_gpu", r->mp.main_gpu);
    cJSON_AddBoolToObject(o, "no_kv_offload", cp->no_kv_offload);
    cJSON_AddNumberToObject(o, "flash_attn", cp->flash_attn);
    cJSON_AddStringToObject(o, "devices", r->mp.devices[0] ? r->mp.devices : "auto");
    cJSON_AddStringToObject(o, "tensor_split", "0.00");
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
    struct stats s = bench_row_stats(r);
    cJSON_AddNumberToObject(o, "avg_ns", (double)bench_row_avg_ns(r));
    cJSON_AddNumberToObject(o, "stddev_ns", (double)bench_row_stddev_ns(r));
    cJSON_AddNumberToObject(o, "avg_ts", s.mean);
    cJSON_AddNumberToObject(o, "stddev_ts", s.stddev);
    cJSON_AddItemToObject(o, "samples_ns", proto_u64_array(r->samples_ns, r->n));
    double *ts = xcalloc((size_t)(r->n ? r->n : 1), sizeof(double));
    bench_row_ts(r, ts);
    cJSON_AddItemToObject(o, "samples_ts", num_array(ts, r->n));
    free(ts);
    /* ours */
    cJSON_AddStringToObject(o, "status", bench_status_name(r->status));
    if (r->status != BENCH_STATUS_OK)
        cJSON_AddStringToObject(o, "error", r->error);
    cJSON_AddNumberToObject(o, "median_ts", s.median);
    cJSON_AddNumberToObject(o, "min_ts", s.min);
    cJSON_AddNumberToObject(o, "max_ts", s.max);
    cJSON_AddNumberToObject(o, "ci95_ts", s.ci95);
    cJSON_AddNumberToObject(o, "reps", pt->reps);
    if (pt->n_prompt > 0)
        add_part(o, "pp", r, pt->n_prompt, r->pp_ns);
    if (pt->n_gen > 0)
        add_part(o, "tg", r, pt->n_gen, r->tg_ns);
    if (pt->n_prompt > 0 && pt->n_gen > 0) {
        uint64_t sum = 0;
        for (int i = 0; i < r->n; i++)
            sum += r->ttft_ns[i];
        cJSON_AddNumberToObject(o, "ttft_ns", r->n ? (double)(sum / (uint64_t)r->n) : 0);
        cJSON_AddItemToObject(o, "samples_ttft_ns", proto_u64_array(r->ttft_ns, r->n));
    }
    cJSON_AddNumberToObject(o, "load_ns", (double)r->load_ns);
    cJSON_AddNumberToObject(o, "ctx_ns", (double)r->ctx_ns);
    cJSON_AddNumberToObject(o, "warmup_ns", (double)r->warmup_ns);
    cJSON_AddNumberToObject(o, "depth_ns", (double)r->depth_ns);
    cJSON_AddBoolToObject(o, "warmup", !pt->no_warmup);
    cJSON_AddNumberToObject(o, "n_ctx", cp->n_ctx);
    cJSON_AddNumberToObject(o, "seed", (double)pt->seed);
    cJSON_AddStringToObject(o, "llama_version", r->build.version);
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

static const struct md_col md_cols[] = {
    {0, "model", -30},
    {0, "size", 10},
    {0, "params", 10},
    {0, "backend", -10},
    {BENCH_COL_NGL, "ngl", 3},
    {BENCH_COL_THREADS, "threads", 7},
    {BENCH_COL_BATCH, "n_batch", 7},
    {BENCH_COL_UBATCH, "n_ubatch", 8},
    {BENCH_COL_TYPE_K, "type_k", 6},
    {BENCH_COL_TYPE_V, "type_v", 6},
    {BENCH_COL_NKVO, "nkvo", 13},
    {BENCH_COL_FA, "fa", 3},
    {BENCH_COL_LM, "lm", 10},
    {0, "test", 15},
    {0, "t/s", 20},
};

static int abs_i(int x)
{
    return x < 0 ? -x : x;
}

static void md_header(struct bench_report *rp)
{
    FILE *fp = rp->fp;
    fputc('|', fp);
    for (size_t i = 0; i < QB_ARRAY_LEN(md_cols); i++)
        if (!md_cols[i].bit || (rp->cols & md_cols[i].bit))
            fprintf(fp, " %*s |", md_cols[i].width, md_cols[i].name);
    fputs("\n|", fp);
    for (size_t i = 0; i < QB_ARRAY_LEN(md_cols); i++) {
        if (md_cols[i].bit && !(rp->cols & md_cols[i].bit))
            continue;
        fputc(' ', fp);
        for (int k = 0; k < abs_i(md_cols[i].width) - 1; k++)
            fputc('-', fp);
        fprintf(fp, "%s |", md_cols[i].width > 0 ? ":" : "-");
    }
    fputc('\n', fp);
}

static void md_row(struct bench_report *rp, const struct bench_row *r)
{
    char v[160];
    fputc('|', rp->fp);
    for (size_t i = 0; i < QB_ARRAY_LEN(md_cols); i++) {
        const struct md_col *c = &md_cols[i];
        if (c->bit && !(rp->cols & c->bit))
            continue;
        int width = c->width;
        const char *name = c->name;
        if (!strcmp(name, "model"))
            snprintf(v, sizeof(v), "%s", r->model.desc[0] ? r->model.desc : r->model_filename);
        else if (!strcmp(name, "size"))
            fmt_bytes(v, sizeof(v), r->model.size);
        else if (!strcmp(name, "params"))
            snprintf(v, sizeof(v), r->model.n_params < 1000000000ull ? "%.2f M" : "%.2f B",
                     r->model.n_params < 1000000000ull ? (double)r->model.n_params / 1e6
                                                       : (double)r->model.n_params / 1e9);
        else if (!strcmp(name, "backend"))
            snprintf(v, sizeof(v), "%s", r->build.backends[0] ? r->build.backends : "?");
        else if (!strcmp(name, "ngl"))
            snprintf(v, sizeof(v), "%d", r->mp.n_gpu_layers);
        else if (!strcmp(name, "threads"))
            snprintf(v, sizeof(v), "%d", r->t.cp.n_threads);
        else if (!strcmp(name, "n_batch"))
            snprintf(v, sizeof(v), "%u", r->t.cp.n_batch);
        else if (!strcmp(name, "n_ubatch"))
            snprintf(v, sizeof(v), "%u", r->t.cp.n_ubatch);
        else if (!strcmp(name, "type_k"))
            snprintf(v, sizeof(v), "%s", r->t.cp.type_k);
        else if (!strcmp(name, "type_v"))
            snprintf(v, sizeof(v), "%s", r->t.cp.type_v);
        else if (!strcmp(name, "nkvo"))
            snprintf(v, sizeof(v), "%d", r->t.cp.no_kv_offload);
        else if (!strcmp(name, "fa"))
            snprintf(v, sizeof(v), "%d", r->t.cp.flash_attn);
        else if (!strcmp(name, "lm"))
            snprintf(v, sizeof(v), "%s", load_mode_name(r->mp.use_mmap));
        else if (!strcmp(name, "test"))
            test_name(r, v, sizeof(v));
        else {
            if (r->status == BENCH_STATUS_OK) {
                struct stats s = bench_row_stats(r);
                snprintf(v, sizeof(v), "%.2f ± %.2f", s.mean, s.stddev);
                width += 1; /* the ± is two bytes */
            } else {
                snprintf(v, sizeof(v), "%s", bench_status_name(r->status));
            }
        }
        fprintf(rp->fp, " %*s |", width, v);
    }
    fputc('\n', rp->fp);
}

void bench_report_begin(struct bench_report *rp, FILE *fp, enum bench_fmt fmt, unsigned cols)
{
    memset(rp, 0, sizeof(*rp));
    rp->fp = fp;
    rp->fmt = fmt;
    rp->cols = cols;
    if (fmt == BENCH_FMT_JSON)
        fputs("[\n", fp);
    fflush(fp);
}

void bench_report_row(struct bench_report *rp, const struct bench_row *r)
{
    if (rp->fmt == BENCH_FMT_MD) {
        if (!rp->header_done) {
            md_header(rp);
            rp->header_done = true;
        }
        md_row(rp, r);
        if (r->build.commit[0])
            snprintf(rp->footer, sizeof(rp->footer), "build: %s (%d)", r->build.commit,
                     r->build.build_number);
    } else {
        cJSON *o = bench_row_json(r);
        char *s = rp->fmt == BENCH_FMT_JSON ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
        if (rp->fmt == BENCH_FMT_JSON)
            fprintf(rp->fp, "%s%s", rp->n_rows ? ",\n" : "", s);
        else
            fprintf(rp->fp, "%s\n", s);
        free(s);
        cJSON_Delete(o);
    }
    rp->n_rows++;
    fflush(rp->fp);
}

void bench_report_end(struct bench_report *rp)
{
    if (rp->fmt == BENCH_FMT_JSON)
        fputs(rp->n_rows ? "\n]\n" : "]\n", rp->fp);
    else if (rp->fmt == BENCH_FMT_MD && rp->footer[0])
        fprintf(rp->fp, "\n%s\n", rp->footer);
    fflush(rp->fp);
}
