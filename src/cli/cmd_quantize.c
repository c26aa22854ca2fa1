/* quantbench quantize: the quantization ladder of one F16/BF16/F32 model through
 * llama.cpp's quantizer, one worker per type (a crash or an out-of-memory costs only that
 * rung), skipping rungs already made from the same source (a sidecar FILE.source holds
 * the source's quick identity: size and SHA-256 of its first and last MiB). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../engine/worker.h"
#include "../gguf/gguf.h"
#include "../report/table.h"
#include "../util/clock.h"
#include "../util/sha256.h"
#include "../util/util.h"
#include "args.h"
#include "cmd.h"
#include "runner.h"

static const char quantize_help[] =
    "usage: quantbench quantize -m MODEL --types T1,T2,... -o DIR [flags]\n"
    "\n"
    "Quantize MODEL (F16, BF16 or F32) to every type with llama.cpp's quantizer, one worker\n"
    "per type, into DIR/<name>-<TYPE>.gguf. A rung already made from the same source (the\n"
    "sidecar <file>.source matches the source's size and SHA-256 of its first and last MiB,\n"
    "and the file's type is right) is skipped.\n"
    "\n"
    "Flags (defaults in brackets):\n"
    "  -m, --model FILE            the source model\n"
    "  --types LIST                llama-quantize type names, e.g. Q8_0,Q6_K,Q4_K_M,Q3_K_L\n"
    "  -o, --out-dir DIR           where the rungs go (created if missing)\n"
    "  -t, --threads N             quantizer threads [online CPUs]\n"
    "  --timeout S                 seconds per rung [0 = none]\n"
    "  --format FMT                md, csv, json or jsonl [md]\n"
    "  -v, --verbose               llama.cpp's log (-v -v)\n"
    "\n"
    "Columns: type, file, size, bits per weight, rung (made, skipped, failed), seconds.\n"
    "\n" QB_EXIT_CODES_HELP;

static const struct table_col quantize_cols[] = {
    {"type", "type", -8, TABLE_INT},        {"file", "file", -40, TABLE_INT},
    {"size_mib", "size MiB", 10, TABLE_F2}, {"bpw", "bits/weight", 11, TABLE_F2},
    {"action", "rung", -8, TABLE_INT},      {"time_s", "time s", 8, TABLE_F2},
};

/* file type, tensor bytes and weights of a GGUF; -1 with err */
static int gguf_facts(const char *path, int *ftype, uint64_t *bytes, uint64_t *params, char *err)
{
    struct gf_file *f;
    if (gf_read_file(path, &f, err) < 0)
        return -1;
    *ftype = (int)gf_get_int(f, "general.file_type", -1);
    *bytes = *params = 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        uint64_t n = 1;
        for (uint32_t d = 0; d < f->tensors[i].n_dims; d++)
            n *= (uint64_t)f->tensors[i].ne[d];
        *params += n;
        *bytes += f->tensors[i].n_bytes;
    }
    gf_free(f);
    return 0;
}

static bool sidecar_matches(const char *path, const char *want)
{
    char *side = xasprintf("%s.source", path), err[QB_ERR_LEN];
    size_t len;
    char *got = read_file(side, 4096, &len, err);
    bool ok = got && strcmp(got, want) == 0;
    free(got);
    free(side);
    return ok;
}

static int write_sidecar(const char *path, const char *text, char *err)
{
    char *side = xasprintf("%s.source", path), *tmp = xasprintf("%s.tmp", side);
    FILE *f = fopen(tmp, "w");
    int rc = 0;
    if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, side) != 0) {
        rc = set_err(err, "cannot write '%s': %s", side, strerror(errno));
        unlink(tmp);
    }
    free(side);
    free(tmp);
    return rc;
}

/* <name> of the source: its file name without .gguf and a trailing -F16/-BF16/-F32 */
static char *stem_of(const char *path)
{
    const char *b = strrchr(path, '/');
    char *s = xstrdup(b ? b + 1 : path);
    size_t n = strlen(s);
    if (n > 5 && strcasecmp(s + n - 5, ".gguf") == 0)
        s[n -= 5] = '\0';
    const char *suf[] = {"-F16", "-BF16", "-F32", "_F16", "_BF16", "_F32"};
    for (size_t i = 0; i < QB_ARRAY_LEN(suf); i++) {
        size_t k = strlen(suf[i]);
        if (n > k && strcasecmp(s + n - k, suf[i]) == 0) {
            s[n - k] = '\0';
            break;
        }
    }
    return s;
}

int cmd_quantize(int argc, char **argv)
{
    const char *model = NULL, *dir = NULL, *types = NULL;
    int threads = (int)sysconf(_SC_NPROCESSORS_ONLN), verbose = 0;
    double timeout_s = 0;
    enum bench_fmt fmt = BENCH_FMT_MD;
    char err[QB_ERR_LEN];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(quantize_help, stdout);
            return QB_EXIT_OK;
        }
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            verbose++;
            continue;
        }
        if (!v)
            return usage_error("quantize", "%s needs a value", a);
        i++;
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            model = v;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--out-dir")) {
            dir = v;
        } else if (!strcmp(a, "--types")) {
            types = v;
        } else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
            if (parse_int(v, 1, 4096, &threads) < 0)
                return usage_error(
                    "quantize", "invalid value '%s' for %s (expected an integer in 1..4096)", v, a);
        } else if (!strcmp(a, "--timeout")) {
            if (parse_double(v, &timeout_s) < 0 || timeout_s < 0)
                return usage_error("quantize",
                                   "invalid value '%s' for --timeout (seconds, 0 = none)", v);
        } else if (!strcmp(a, "--format")) {
            int x = bench_fmt_parse(v, false);
            if (x < 0 || x == BENCH_FMT_SQL)
                return usage_error("quantize", "invalid output format '%s' (md, csv, json, jsonl)",
                                   v);
            fmt = (enum bench_fmt)x;
        } else {
            return usage_error("quantize", "unknown flag '%s'", a);
        }
    }
    if (!model || !dir || !types)
        return usage_error("quantize", "missing %s",
                           !model   ? "-m MODEL"
                           : !types ? "--types LIST"
                                    : "-o DIR");
    struct str_list tl = {0};
    str_list_split(&tl, types, ',');
    int *ft = xcalloc(tl.n ? tl.n : 1, sizeof(int));
    for (size_t k = 0; k < tl.n; k++) {
        ft[k] = llama_ftype_by_name(tl.v[k]);
        if (ft[k] < 0) {
            int rc = usage_error("quantize",
                                 "unknown quantization type '%s' (llama-quantize's names: Q8_0, "
                                 "Q6_K, Q5_K_M, Q4_K_M, Q3_K_L, IQ4_XS, ...)",
                                 tl.v[k]);
            free(ft);
            str_list_release(&tl);
            return rc;
        }
    }
    char id[160];
    long long n_layer;
    if (check_model_file(model, &n_layer, err) < 0 || file_quick_id(model, id, err) < 0) {
        error("%s", err);
        free(ft);
        str_list_release(&tl);
        return QB_EXIT_INPUT;
    }
    if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
        error("cannot create '%s': %s", dir, strerror(errno));
        free(ft);
        str_list_release(&tl);
        return QB_EXIT_FAIL;
    }
    char *stem = stem_of(model);
    struct table_out out;
    table_begin(&out, stdout, fmt, quantize_cols, (int)QB_ARRAY_LEN(quantize_cols));
    int failed = 0;
    for (size_t k = 0; k < tl.n; k++) {
        const char *tname = llama_ftype_name_short(ft[k]);
        char *path = xasprintf("%s/%s-%s.gguf", dir, stem, tname);
        char *want = xasprintf("%s ftype=%d\n", id, ft[k]);
        int have_ft = -1;
        uint64_t bytes = 0, params = 0;
        const char *status = "made";
        char reason[QB_ERR_LEN] = "";
        uint64_t t0 = monotime_ns();
        if (sidecar_matches(path, want) && gguf_facts(path, &have_ft, &bytes, &params, err) == 0 &&
            have_ft == ft[k]) {
            status = "skipped";
        } else {
            char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
            struct worker *w = worker_start(verbose, verbose > 0, reason);
            cJSON *req = cJSON_CreateObject(), *resp = NULL;
            cJSON_AddStringToObject(req, "op", "quantize");
            cJSON_AddStringToObject(req, "in", model);
            cJSON_AddStringToObject(req, "out", tmp);
            cJSON_AddNumberToObject(req, "ftype", ft[k]);
            cJSON_AddNumberToObject(req, "threads", threads);
            bool ok = w && worker_call(w, req, timeout_s, &resp, reason) == 0;
            const cJSON *ev = cJSON_GetObjectItemCaseSensitive(resp, "ev");
            if (ok && !(cJSON_IsString(ev) && !strcmp(ev->valuestring, "result"))) {
                json_copy_str(reason, sizeof(reason), resp, "msg");
                ok = false;
            }
            if (ok && rename(tmp, path) != 0) {
                set_err(reason, "cannot rename '%s': %s", tmp, strerror(errno));
                ok = false;
            }
            if (ok && (write_sidecar(path, want, reason) < 0 ||
                       gguf_facts(path, &have_ft, &bytes, &params, reason) < 0))
                ok = false;
            if (!ok) {
                unlink(tmp);
                status = "failed";
                failed++;
                fprintf(stderr, "quantbench: error: %s: %s\n", tname, reason);
            }
            cJSON_Delete(req);
            cJSON_Delete(resp);
            worker_stop(w);
            free(tmp);
        }
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "type", tname);
        cJSON_AddStringToObject(row, "file", path);
        cJSON_AddNumberToObject(row, "size_mib", (double)bytes / 1048576.0);
        cJSON_AddNumberToObject(row, "size_bytes", (double)bytes);
        cJSON_AddNumberToObject(row, "n_params", (double)params);
        cJSON_AddNumberToObject(row, "bpw", params ? 8.0 * (double)bytes / (double)params : 0);
        cJSON_AddNumberToObject(row, "ftype", have_ft);
        cJSON_AddStringToObject(row, "action", status);
        cJSON_AddStringToObject(row, "status", strcmp(status, "failed") ? "ok" : "failed");
        cJSON_AddStringToObject(row, "error", reason);
        cJSON_AddNumberToObject(row, "time_s", (double)(monotime_ns() - t0) / 1e9);
        cJSON_AddStringToObject(row, "source", model);
        cJSON_AddStringToObject(row, "source_id", id);
        table_row(&out, row);
        cJSON_Delete(row);
        free(path);
        free(want);
    }
    table_end(&out);
    free(stem);
    free(ft);
    str_list_release(&tl);
    return failed ? QB_EXIT_PARTIAL : QB_EXIT_OK;
}
