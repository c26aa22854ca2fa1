/* Shared one-configuration flags (see single.h). */
#include "single.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../record/args.h"
#include "../record/fields.h"
#include "../run/runner.h"
#include "../util/util.h"
#include "cmd.h"

void single_opts_help(FILE *fp)
{
    fputs("  -m, --model FILE            GGUF model (required); several (-m A -m B, -m A,B) run\n"
          "                              one after the other, each row naming its model\n",
          fp);
    field_help(fields_settings, fields_n_settings, FIELD_USE_FLAG, fp);
    fputs("  -r, --repetitions N         timed repetitions [1]\n"
          "  --no-warmup                 skip the warm-up\n"
          "  --seed N                    random-token seed [1]\n"
          "  --timeout S                 seconds a worker may take per load or run [0 = none]\n"
          "  -o, --output FMT            md, csv, json, jsonl [md]\n"
          "  --progress, --no-progress   progress with an ETA on stderr [on when stderr is a\n"
          "                              terminal]\n"
          "  --mem                       md: host / GPU MiB llama.cpp allocated and peak RSS "
          "columns\n"
          "  -v, --verbose               show load progress (-v -v: llama.cpp's log too)\n",
          fp);
}

void single_opts_flag_names(FILE *fp, const char *const *skip)
{
    for (size_t i = 0; i < fields_n_settings; i++) {
        const struct field *f = &fields_settings[i];
        const char *name = f->flag ? f->flag : f->lflag;
        if (!(f->use & FIELD_USE_FLAG) || !name)
            continue;
        bool skipped = false;
        for (const char *const *k = skip; *k; k++)
            skipped |= !strcmp(*k, name);
        if (!skipped)
            fprintf(fp, " %s", name);
    }
}

void single_opts_init(struct single_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->mp = engine_model_params_default();
    o->cp = engine_ctx_params_default();
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o->cp.n_threads = o->cp.n_threads_batch = ncpu > 0 ? (int)ncpu : 4;
    o->reps = 1;
    o->seed = 1;
    o->fmt = BENCH_FMT_MD;
}

static bool is(const char *a, const char *s1, const char *s2)
{
    return !strcmp(a, s1) || (s2 && !strcmp(a, s2));
}

int single_opts_flag(struct single_opts *o, const char *a, const char *v, bool *used_value,
                     char *err)
{
    *used_value = false;
    if (is(a, "--no-warmup", NULL)) {
        o->no_warmup = true;
        return 1;
    }
    if (is(a, "-v", "--verbose")) {
        o->verbose++;
        return 1;
    }
    if (is(a, "--mem", NULL)) {
        o->mem_cols = true;
        return 1;
    }
    if (is(a, "--progress", "--no-progress")) {
        o->progress = a[2] == 'p' ? PROGRESS_ON : PROGRESS_OFF;
        return 1;
    }
    static const char *const valued[] = {"-m",     "--model",   "-r", "--repetitions",
                                         "--seed", "--timeout", "-o", "--output"};
    const struct field *f = field_by_flag(fields_settings, fields_n_settings, FIELD_USE_FLAG, a);
    size_t k;
    for (k = 0; k < QB_ARRAY_LEN(valued) && strcmp(a, valued[k]); k++)
        ;
    if (k == QB_ARRAY_LEN(valued) && !f)
        return 0;
    if (!v)
        return set_err(err, "%s needs a value", a);
    *used_value = true;
    if (f) {
        void *parts[FIELD_N_PARTS] = {&o->mp, &o->cp};
        if (field_parse_flag(f, a, v, parts, err) < 0)
            return -1;
        o->cp.n_threads_batch = o->cp.n_threads; /* -t sets both */
        return 1;
    }
    if (is(a, "-m", "--model"))
        return single_opts_add_models(o, v, err) < 0 ? -1 : 1;
    if (is(a, "-r", "--repetitions")) {
        if (parse_int(v, 1, 100000, &o->reps) < 0)
            return set_err(err, "invalid value '%s' for %s (expected an integer in 1..100000)", v,
                           a);
        return 1;
    }
    if (is(a, "--seed", NULL)) {
        int64_t s;
        if (parse_i64(v, 0, (1ll << 53) - 1, &s) < 0)
            return set_err(err, "invalid value '%s' for --seed", v);
        o->seed = (uint64_t)s;
        return 1;
    }
    if (is(a, "--timeout", NULL)) {
        if (parse_double(v, &o->timeout_s) < 0 || o->timeout_s < 0)
            return set_err(err, "invalid value '%s' for --timeout (seconds, 0 = none)", v);
        return 1;
    }
    /* -o */
    return bench_fmt_flag(v, BENCH_FMTS_ROWS, NULL, &o->fmt, err) < 0 ? -1 : 1;
}

int single_opts_add_models(struct single_opts *o, const char *v, char *err)
{
    for (const char *p = v; *p;) {
        size_t n = strcspn(p, ",");
        if (n) {
            if (o->n_models == SINGLE_MAX_MODELS)
                return set_err(err, "too many models (at most %d)", SINGLE_MAX_MODELS);
            if (o->model_buf_used + n + 1 > sizeof(o->model_buf))
                return set_err(err, "the model names are too long (%zu bytes in all at most)",
                               sizeof(o->model_buf) - 1);
            char *dst = o->model_buf + o->model_buf_used;
            memcpy(dst, p, n);
            dst[n] = '\0';
            o->model_buf_used += n + 1;
            o->models[o->n_models++] = dst;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    o->model = o->n_models ? o->models[0] : NULL;
    return 0;
}

int single_opts_check(struct single_opts *o, const char *cmd)
{
    char err[QB_ERR_LEN];
    long long n_layer;
    if (!o->n_models)
        return usage_error(cmd, "missing -m MODEL");
    if (o->cp.n_ubatch > o->cp.n_batch)
        return usage_error(cmd, "-ub %u exceeds -b %u", o->cp.n_ubatch, o->cp.n_batch);
    /* every model, before anything runs */
    for (int k = 0; k < o->n_models; k++) {
        if (check_model_header(o->models[k], o->header_only, &n_layer, err) < 0) {
            error("%s", err);
            return QB_EXIT_INPUT;
        }
        if (ngl_too_many(o->mp.n_gpu_layers, n_layer))
            return usage_error(cmd,
                               "-ngl %d is more than the %lld layers (+ output) of '%s' (99 = all)",
                               o->mp.n_gpu_layers, n_layer, o->models[k]);
    }
    o->model = o->models[0];
    return 0;
}

int single_exit_code(const int *rcs, int n)
{
    int first = QB_EXIT_OK;
    bool all_ok = true, any_ran = false;
    for (int k = 0; k < n; k++) {
        if (rcs[k] == QB_EXIT_SIGINT || rcs[k] == QB_EXIT_SIGTERM)
            return rcs[k]; /* stopped: what was interrupted says so */
        all_ok &= rcs[k] == QB_EXIT_OK;
        any_ran |= rcs[k] == QB_EXIT_OK || rcs[k] == QB_EXIT_PARTIAL;
        if (rcs[k] != QB_EXIT_OK && first == QB_EXIT_OK)
            first = rcs[k];
    }
    if (all_ok)
        return QB_EXIT_OK;
    return any_ran ? QB_EXIT_PARTIAL : first;
}

bool single_stopped(int rc)
{
    return rc == QB_EXIT_SIGINT || rc == QB_EXIT_SIGTERM;
}

int single_opts_cols(const struct single_opts *o, const struct table_col *base, int n,
                     struct table_col *out)
{
    static const struct table_col model_col = {"model_filename", "file", -30, TABLE_INT};
    int k = 0;
    if (o->n_models > 1)
        out[k++] = model_col;
    return k + table_cols_mem(base, n, o->mem_cols, out + k);
}

void single_opts_what(const struct single_opts *o, const char *cmd, char *buf, size_t n)
{
    if (o->n_models > 1) {
        char *model = str_escape(o->model, 0); /* a file name on a terminal */
        snprintf(buf, n, "%s '%s'", cmd, model);
        free(model);
    } else
        snprintf(buf, n, "%s", cmd);
}
