/* Protocol encoding and decoding (see proto.h). */
#include "proto.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../measure/kld.h"
#include "../record/fields.h"
#include "../util/json.h"
#include "../util/util.h"

/* the settings of a load (parts[FIELD_PART_LOAD]) or of a context (parts[FIELD_PART_CTX]) */
static void put_settings(cJSON *o, const void *mp, const void *cp)
{
    const void *parts[FIELD_N_PARTS] = {mp, cp};
    field_write(fields_settings, fields_n_settings, FIELD_USE_WIRE, parts, FIELD_FORM_WIRE, o);
}

static int get_settings(const cJSON *o, void *mp, void *cp, char *err)
{
    void *parts[FIELD_N_PARTS] = {mp, cp};
    return field_read(fields_settings, fields_n_settings, FIELD_USE_WIRE, parts, FIELD_FORM_WIRE, o,
                      err);
}

cJSON *proto_load_req(const char *model, const struct engine_model_params *mp,
                      const struct work_load *wl)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "op", "load");
    cJSON_AddStringToObject(o, "model", model);
    put_settings(o, mp, NULL);
    cJSON_AddNumberToObject(o, "numa", wl->numa);
    cJSON_AddNumberToObject(o, "prio", wl->prio);
    return o;
}

int proto_parse_load(const cJSON *req, const char **model, struct engine_model_params *mp,
                     struct work_load *wl, char *err)
{
    *mp = engine_model_params_default();
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(req, "model");
    if (!cJSON_IsString(m))
        return set_err(err, "protocol: load without a model");
    *model = m->valuestring;
    if (get_settings(req, mp, NULL, err) < 0 ||
        json_get_i32(req, "numa", 0, 4, &wl->numa, err) < 0 ||
        json_get_i32(req, "prio", -1, 3, &wl->prio, err) < 0)
        return -1;
    return 0;
}

cJSON *proto_run_req(const struct work_test *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "op", "run");
    cJSON_AddNumberToObject(o, "id", t->id);
    cJSON_AddNumberToObject(o, "kind", t->kind);
    if (t->kind == WORK_SWEEP) {
        cJSON *w = cJSON_AddObjectToObject(o, "sweep");
        cJSON_AddNumberToObject(w, "n_ctx", t->sw.n_ctx);
        cJSON_AddNumberToObject(w, "n_ubatch", t->sw.n_ubatch);
        cJSON_AddNumberToObject(w, "n_gen", t->sw.n_gen);
        cJSON_AddNumberToObject(w, "reps", t->sw.reps);
        cJSON_AddNumberToObject(w, "stride", t->sw.stride);
    } else if (t->kind == WORK_BATCHED) {
        cJSON *w = cJSON_AddObjectToObject(o, "batched");
        cJSON_AddNumberToObject(w, "pp", t->bt.pp);
        cJSON_AddNumberToObject(w, "tg", t->bt.tg);
        cJSON_AddNumberToObject(w, "pl", t->bt.pl);
        cJSON_AddBoolToObject(w, "shared", t->bt.shared);
        cJSON_AddNumberToObject(w, "reps", t->bt.reps);
    } else if (t->kind == WORK_PROBE) {
        cJSON_AddBoolToObject(o, "probe_fill", t->probe_fill);
    } else if (t->kind == WORK_PPL) {
        cJSON *w = cJSON_AddObjectToObject(o, "ppl");
        cJSON_AddStringToObject(w, "text", t->text_path);
        cJSON_AddNumberToObject(w, "n_ctx", t->pl.n_ctx);
        cJSON_AddNumberToObject(w, "n_batch", t->pl.n_batch);
        cJSON_AddNumberToObject(w, "n_chunks", t->pl.n_chunks);
        cJSON_AddNumberToObject(w, "mode", t->ppl_mode);
        cJSON_AddStringToObject(w, "base", t->base_path);
        cJSON_AddNumberToObject(w, "topk", t->topk);
        cJSON_AddBoolToObject(w, "imx_output", t->imx_output);
    }
    put_settings(o, NULL, &t->cp);
    cJSON_AddNumberToObject(o, "delay_s", t->delay_s);
    cJSON_AddBoolToObject(o, "auto_reps", t->pt.auto_reps);
    cJSON_AddNumberToObject(o, "min_reps", t->pt.min_reps);
    cJSON_AddNumberToObject(o, "rel_ci", t->pt.rel_ci);
    cJSON_AddNumberToObject(o, "max_time_s", t->pt.max_time_s);
    cJSON_AddNumberToObject(o, "n_prompt", t->pt.n_prompt);
    cJSON_AddNumberToObject(o, "n_gen", t->pt.n_gen);
    cJSON_AddNumberToObject(o, "n_depth", t->pt.n_depth);
    cJSON_AddNumberToObject(o, "reps", t->pt.reps);
    cJSON_AddBoolToObject(o, "no_warmup", t->pt.no_warmup);
    cJSON_AddNumberToObject(o, "seed", (double)(t->pt.seed & ((1ull << 53) - 1)));
    return o;
}

int proto_parse_run(const cJSON *req, struct work_test *t, char *err)
{
    int64_t seed;
    memset(t, 0, sizeof(*t));
    t->cp = engine_ctx_params_default();
    const int big = 1 << 30;
    if (json_get_i32(req, "id", 0, big, &t->id, err) < 0 ||
        get_settings(req, NULL, &t->cp, err) < 0 ||
        json_get_i32(req, "n_prompt", 0, big, &t->pt.n_prompt, err) < 0 ||
        json_get_i32(req, "n_gen", 0, big, &t->pt.n_gen, err) < 0 ||
        json_get_i32(req, "n_depth", 0, big, &t->pt.n_depth, err) < 0 ||
        json_get_i32(req, "reps", 1, 1 << 20, &t->pt.reps, err) < 0 ||
        json_get_int(req, "seed", &seed, err) < 0 ||
        json_get_i32(req, "min_reps", 0, 1 << 20, &t->pt.min_reps, err) < 0 ||
        json_get_num(req, "rel_ci", 0, 1e9, &t->pt.rel_ci, err) < 0 ||
        json_get_num(req, "max_time_s", 0, 1e9, &t->pt.max_time_s, err) < 0 ||
        json_get_num(req, "delay_s", 0, 1e9, &t->delay_s, err) < 0)
        return -1;
    int n_batch = (int)t->cp.n_batch, n_ctx = (int)t->cp.n_ctx;
    t->pt.auto_reps = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "auto_reps"));
    t->cp.n_threads_batch = t->cp.n_threads;
    t->pt.no_warmup = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "no_warmup"));
    t->pt.n_batch = n_batch;
    t->pt.n_threads = t->cp.n_threads;
    t->pt.seed = (uint64_t)seed;
    int kind = 0;
    if (json_get_i32(req, "kind", 0, 4, &kind, err) < 0)
        return -1;
    t->kind = (enum work_kind)kind;
    if (t->kind == WORK_SWEEP) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(req, "sweep");
        if (json_get_i32(w, "n_ctx", 1, big, &t->sw.n_ctx, err) < 0 ||
            json_get_i32(w, "n_ubatch", 1, big, &t->sw.n_ubatch, err) < 0 ||
            json_get_i32(w, "n_gen", 0, big, &t->sw.n_gen, err) < 0 ||
            json_get_i32(w, "reps", 1, 1 << 20, &t->sw.reps, err) < 0 ||
            json_get_i32(w, "stride", 1, big, &t->sw.stride, err) < 0)
            return -1;
        t->sw.n_threads = t->cp.n_threads;
        t->sw.no_warmup = t->pt.no_warmup;
        t->sw.seed = t->pt.seed;
    } else if (t->kind == WORK_BATCHED) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(req, "batched");
        if (json_get_i32(w, "pp", 1, big, &t->bt.pp, err) < 0 ||
            json_get_i32(w, "tg", 1, big, &t->bt.tg, err) < 0 ||
            json_get_i32(w, "pl", 1, 4096, &t->bt.pl, err) < 0 ||
            json_get_i32(w, "reps", 1, 1 << 20, &t->bt.reps, err) < 0)
            return -1;
        t->bt.shared = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "shared"));
        t->bt.n_batch = n_batch;
        t->bt.n_ctx = n_ctx;
        t->bt.n_threads = t->cp.n_threads;
        t->bt.no_warmup = t->pt.no_warmup;
        t->bt.seed = t->pt.seed;
    } else if (t->kind == WORK_PROBE) {
        t->probe_fill = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "probe_fill"));
    } else if (t->kind == WORK_PPL) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(req, "ppl");
        int mode = WORK_PPL_PLAIN;
        if (json_get_str(w, "text", t->text_path, sizeof(t->text_path), err) < 0 ||
            json_get_i32(w, "n_ctx", 1, big, &t->pl.n_ctx, err) < 0 ||
            json_get_i32(w, "n_batch", 1, big, &t->pl.n_batch, err) < 0 ||
            json_get_i32(w, "n_chunks", -1, big, &t->pl.n_chunks, err) < 0 ||
            json_get_i32(w, "mode", 0, WORK_PPL_IMATRIX, &mode, err) < 0 ||
            json_get_str(w, "base", t->base_path, sizeof(t->base_path), err) < 0 ||
            json_get_i32(w, "topk", 0, KLD_TOPK_MAX, &t->topk, err) < 0)
            return -1;
        t->ppl_mode = (enum work_ppl_mode)mode;
        t->imx_output = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "imx_output"));
    }
    return 0;
}

/* ---- what a worker says it loaded ---- */

int proto_parse_model(const cJSON *m, struct engine_model_info *mi, char *err)
{
    struct json_reader jr = {0};
    memset(mi, 0, sizeof(*mi));
    jr_str(&jr, m, "type", mi->desc, sizeof(mi->desc));
    mi->size = (uint64_t)jr_num(&jr, m, "size");
    mi->n_params = (uint64_t)jr_num(&jr, m, "n_params");
    mi->n_vocab = (int32_t)jr_num(&jr, m, "n_vocab");
    mi->n_layer = (int32_t)jr_num(&jr, m, "n_layer");
    mi->n_ctx_train = (int32_t)jr_num(&jr, m, "n_ctx_train");
    return jr.failed ? set_err(err, "model: %s", jr.err) : 0;
}

int proto_parse_build(const cJSON *b, struct engine_build_info *bi, char *err)
{
    struct json_reader jr = {0};
    memset(bi, 0, sizeof(*bi));
    jr_str(&jr, b, "version", bi->version, sizeof(bi->version));
    jr_str(&jr, b, "commit", bi->commit, sizeof(bi->commit));
    bi->build_number = (int)jr_num(&jr, b, "build_number");
    jr_str(&jr, b, "backends", bi->backends, sizeof(bi->backends));
    jr_str(&jr, b, "cpu_info", bi->cpu_info, sizeof(bi->cpu_info));
    jr_str(&jr, b, "gpu_info", bi->gpu_info, sizeof(bi->gpu_info));
    jr_str(&jr, b, "system_info", bi->system_info, sizeof(bi->system_info));
    return jr.failed ? set_err(err, "build: %s", jr.err) : 0;
}

/* ---- quantize ---- */

cJSON *proto_quantize_req(const struct quantize_params *qp)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", "quantize");
    cJSON_AddStringToObject(req, "in", qp->in);
    cJSON_AddStringToObject(req, "out", qp->out);
    cJSON_AddNumberToObject(req, "ftype", qp->ftype);
    cJSON_AddNumberToObject(req, "threads", qp->threads);
    if (qp->imatrix && qp->imatrix[0])
        cJSON_AddStringToObject(req, "imatrix", qp->imatrix);
    return req;
}

int proto_parse_quantize(const cJSON *req, struct quantize_params *qp, char *err)
{
    memset(qp, 0, sizeof(*qp));
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(req, "in");
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(req, "out");
    const cJSON *imx = cJSON_GetObjectItemCaseSensitive(req, "imatrix");
    if (!cJSON_IsString(in) || !cJSON_IsString(out) || (imx && !cJSON_IsString(imx)))
        return set_err(err, "protocol: quantize needs in, out, ftype and threads");
    qp->in = in->valuestring;
    qp->out = out->valuestring;
    qp->imatrix = imx && imx->valuestring[0] ? imx->valuestring : NULL; /* optional */
    if (json_get_i32(req, "ftype", 0, 1 << 16, &qp->ftype, err) < 0 ||
        json_get_i32(req, "threads", 1, 1 << 16, &qp->threads, err) < 0)
        return -1;
    return 0;
}

/* ---- results ---- */

void proto_add_sweep(cJSON *o, const struct sweep_result *r)
{
    cJSON_AddNumberToObject(o, "wall_ns", (double)r->wall_ns);
    cJSON *pts = cJSON_AddArrayToObject(o, "points");
    for (int i = 0; i < r->n_points; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "n_kv", r->points[i].n_kv);
        cJSON_AddItemToObject(p, "pp_ns", json_u64_array(r->points[i].pp_ns, r->points[i].n));
        cJSON_AddItemToObject(p, "tg_ns", json_u64_array(r->points[i].tg_ns, r->points[i].n));
        cJSON_AddItemToArray(pts, p);
    }
}

int proto_parse_sweep(const cJSON *o, struct sweep_result *r, char *err)
{
    memset(r, 0, sizeof(*r));
    double wall;
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(o, "points"), *p;
    if (json_get_num(o, "wall_ns", 0, 1e300, &wall, err) < 0)
        return -1;
    if (!cJSON_IsArray(pts))
        return set_err(err, "protocol: field 'points' is not an array");
    r->wall_ns = (uint64_t)wall;
    r->points = xcalloc((size_t)cJSON_GetArraySize(pts) + 1, sizeof(*r->points));
    cJSON_ArrayForEach (p, pts) {
        struct sweep_point *pt = &r->points[r->n_points];
        int n2;
        r->n_points++;
        if (json_get_i32(p, "n_kv", 0, INT32_MAX, &pt->n_kv, err) < 0 ||
            json_get_u64_array(p, "pp_ns", &pt->pp_ns, &pt->n, err) < 0 ||
            json_get_u64_array(p, "tg_ns", &pt->tg_ns, &n2, err) < 0)
            return -1;
        if (n2 != pt->n)
            return set_err(err, "protocol: sample arrays differ in length");
    }
    return 0;
}

void proto_add_batched(cJSON *o, const struct batched_result *r)
{
    cJSON_AddNumberToObject(o, "n_kv", r->n_kv);
    cJSON_AddItemToObject(o, "pp_ns", json_u64_array(r->pp_ns, r->n));
    cJSON_AddItemToObject(o, "tg_ns", json_u64_array(r->tg_ns, r->n));
    cJSON_AddItemToObject(o, "ttft_ns", json_u64_array(r->ttft_ns, r->n));
}

int proto_parse_batched(const cJSON *o, struct batched_result *r, char *err)
{
    memset(r, 0, sizeof(*r));
    int n2, n3;
    if (json_get_i32(o, "n_kv", 0, INT32_MAX, &r->n_kv, err) < 0 ||
        json_get_u64_array(o, "pp_ns", &r->pp_ns, &r->n, err) < 0 ||
        json_get_u64_array(o, "tg_ns", &r->tg_ns, &n2, err) < 0 ||
        json_get_u64_array(o, "ttft_ns", &r->ttft_ns, &n3, err) < 0)
        return -1;
    if (n2 != r->n || n3 != r->n)
        return set_err(err, "protocol: sample arrays differ in length");
    return 0;
}
