/* Worker-backed model runner (see runner.h). */
#include "runner.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../gguf/gguf.h"
#include "../util/clock.h"
#include "../util/json.h"
#include "../util/log.h"
#include "../util/sha256.h"
#include "../util/sig.h"
#include "../util/util.h"

static bool is_ev(const cJSON *o, const char *ev)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, "ev");
    return cJSON_IsString(it) && strcmp(it->valuestring, ev) == 0;
}

/* a worker's answer that is not the one asked for: its error event's message into err and
 * its kind (util/exit.h; RUNTIME when it names none) into r->kind */
static void take_error(struct runner *r, const cJSON *resp, const char *what, char *err)
{
    char kind[16];
    struct json_reader jr = {0};
    jr_str(&jr, resp, "msg", err, QB_ERR_LEN);
    jr_str(&jr, resp, "kind", kind, sizeof(kind));
    if (jr.failed || !err[0]) {
        snprintf(err, QB_ERR_LEN, "worker answered %s with something else", what);
        r->kind = QB_KIND_RUNTIME;
        return;
    }
    r->kind = qb_kind_by_name(kind);
}

static void on_progress(double p, void *ud)
{
    log_info("loading '%s': %.0f%%", (const char *)ud, p * 100);
}

void runner_init(struct runner *r, const char *model, const struct engine_model_params *mp,
                 const struct work_load *wl, int verbose, double timeout_s)
{
    memset(r, 0, sizeof(*r));
    r->model = model;
    r->mp = *mp;
    r->wl = *wl;
    r->verbose = verbose;
    r->timeout_s = timeout_s;
}

int runner_take_loaded(struct runner *r, const cJSON *resp, char *err)
{
    struct runner_info *ld = &r->info;
    double load_ns;
    memset(ld, 0, sizeof(*ld));
    if (json_get_num(resp, "load_ns", 0, 1e300, &load_ns, err) < 0 ||
        proto_parse_model(cJSON_GetObjectItemCaseSensitive(resp, "model"), &ld->model, err) < 0 ||
        proto_parse_build(cJSON_GetObjectItemCaseSensitive(resp, "build"), &ld->build, err) < 0)
        return -1;
    ld->load_ns = (uint64_t)load_ns;
    return 0;
}

int runner_ensure(struct runner *r, enum bench_status *status, char *err)
{
    if (!worker_alive(r->w)) {
        worker_stop(r->w);
        r->loaded = false;
        r->w = worker_start(r->verbose, r->verbose > 0, err);
        if (!r->w) {
            r->kind = sig_caught() ? QB_KIND_INTERRUPTED : QB_KIND_CRASH;
            *status = bench_status_of(r->kind, false);
            return -1;
        }
        if (r->verbose)
            worker_set_progress(r->w, on_progress, (void *)r->model);
    }
    r->kind = QB_KIND_OK;
    if (r->loaded)
        return 0;
    cJSON *req = proto_load_req(r->model, &r->mp, &r->wl), *resp = NULL;
    int rc = worker_call(r->w, req, r->timeout_s, &resp, err);
    cJSON_Delete(req);
    if (rc < 0) {
        r->kind = worker_failure(r->w);
        *status = bench_status_of(r->kind, false);
        return -1;
    }
    if (!is_ev(resp, "loaded")) {
        take_error(r, resp, "a load", err);
        cJSON_Delete(resp);
        *status = bench_status_of(r->kind, true);
        return -1;
    }
    rc = runner_take_loaded(r, resp, err);
    cJSON_Delete(resp);
    if (rc < 0) { /* a malformed answer: the worker is not to be trusted with more */
        r->kind = QB_KIND_RUNTIME;
        *status = bench_status_of(r->kind, true);
        worker_stop(r->w);
        r->w = NULL;
        return -1;
    }
    r->loaded = true;
    return 0;
}

int runner_call(struct runner *r, const cJSON *req, cJSON **resp, enum bench_status *status,
                char *err)
{
    *resp = NULL;
    r->kind = QB_KIND_OK;
    if (r->w) {
        worker_set_units(r->w, r->on_units, r->units_ud);
        worker_set_token(r->w, r->on_token, r->token_ud);
    }
    if (worker_call(r->w, req, r->timeout_s, resp, err) < 0) {
        r->kind = worker_failure(r->w);
        *status = bench_status_of(r->kind, false);
        r->loaded = false;
        return -1;
    }
    if (!is_ev(*resp, "result")) {
        take_error(r, *resp, "a run", err);
        cJSON_Delete(*resp);
        *resp = NULL;
        *status = bench_status_of(r->kind, false);
        return -1;
    }
    return 0;
}

void runner_remove_tmp(const struct runner *r, const char *path)
{
    if (!r->w || !path || !path[0])
        return;
    char *tmp = xasprintf("%s.tmp.%d", path, worker_pid(r->w));
    unlink(tmp);
    free(tmp);
}

void runner_release(struct runner *r)
{
    worker_stop(r->w);
    r->w = NULL;
    r->loaded = false;
}

bool model_is_remote(const char *model)
{
    if (!strncasecmp(model, "http://", 7) || !strncasecmp(model, "https://", 8))
        return true;
    /* OWNER/NAME[:QUANT] that is no file here and no .gguf name: name characters, one '/'
     * inside */
    struct stat st;
    size_t n = strlen(model);
    if (stat(model, &st) == 0 || model[0] == '/' || model[0] == '.' ||
        (n > 5 && !strcasecmp(model + n - 5, ".gguf")))
        return false; /* a path (a missing models/x.gguf is a missing file, not a repository) */
    const char *slash = strchr(model, '/');
    if (!slash || slash == model || strchr(slash + 1, '/') || !slash[1] || slash[1] == ':')
        return false;
    for (const char *c = model; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("/-_.:", *c))
            return false;
    return true;
}

int check_model_file(const char *path, long long *n_layer, char *err)
{
    return check_model_header(path, false, n_layer, err);
}

int check_model_header(const char *path, bool header_only, long long *n_layer, char *err)
{
    struct gf_file *f;
    *n_layer = 0;
    if (header_only && model_is_remote(path))
        return 0; /* read once, by the plan */
    if ((header_only ? gf_read_header_file(path, &f, err) : gf_read_file(path, &f, err)) < 0)
        return -1;
    *n_layer = 0;
    const char *arch = gf_get_str(f, "general.architecture");
    if (arch) {
        char key[128];
        snprintf(key, sizeof(key), "%s.block_count", arch);
        *n_layer = gf_get_int(f, key, 0);
    }
    gf_free(f);
    return 0;
}

#ifndef QB_VERSION
#define QB_VERSION "0.1.0"
#endif

void runner_row_meta(const struct runner *r, cJSON *o)
{
    row_meta(o, r->model, &r->info);
}

void row_meta(cJSON *o, const char *model, const struct runner_info *in)
{
    char host[128], now[32];
    if (gethostname(host, sizeof(host)) < 0)
        snprintf(host, sizeof(host), "unknown");
    walltime_rfc3339(now, sizeof(now));
    int cpus;
    uint64_t ram;
    host_cpus_ram(&cpus, &ram);
    cJSON_AddStringToObject(o, "build_commit", in->build.commit);
    cJSON_AddNumberToObject(o, "build_number", in->build.build_number);
    cJSON_AddStringToObject(o, "llama_version", in->build.version);
    cJSON_AddStringToObject(o, "system_info", in->build.system_info);
    cJSON_AddStringToObject(o, "backends", in->build.backends);
    cJSON_AddStringToObject(o, "cpu_info", in->build.cpu_info);
    cJSON_AddStringToObject(o, "gpu_info", in->build.gpu_info);
    cJSON_AddStringToObject(o, "model_filename", model);
    char id[160], err[QB_ERR_LEN];
    cJSON_AddStringToObject(o, "model_id", file_quick_id(model, id, err) == 0 ? id : "");
    cJSON_AddStringToObject(o, "model_type", in->model.desc);
    cJSON_AddNumberToObject(o, "model_size", (double)in->model.size);
    cJSON_AddNumberToObject(o, "model_n_params", (double)in->model.n_params);
    cJSON_AddNumberToObject(o, "load_ns", (double)in->load_ns);
    cJSON_AddStringToObject(o, "host", host);
    cJSON_AddNumberToObject(o, "host_cpus", cpus);
    cJSON_AddNumberToObject(o, "host_ram_bytes", (double)ram);
    cJSON_AddStringToObject(o, "test_time", now);
    cJSON_AddStringToObject(o, "quantbench_version", QB_VERSION);
}
