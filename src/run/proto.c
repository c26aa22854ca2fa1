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

/* the settings of a load (parts[FIELD_PART_LOAD]) */
static void put_settings(cJSON *o, const void *mp)
{
    const void *parts[FIELD_N_PARTS] = {mp, NULL, NULL};
    field_write(fields_settings, fields_n_settings, FIELD_USE_WIRE, parts, FIELD_FORM_WIRE, o);
}

static int get_settings(const cJSON *o, void *mp, char *err)
{
    void *parts[FIELD_N_PARTS] = {mp, NULL, NULL};
    return field_read(fields_settings, fields_n_settings, FIELD_USE_WIRE, parts, FIELD_FORM_WIRE, o,
                      err);
}

cJSON *proto_load_req(const char *model, const struct engine_model_params *mp,
                      const struct work_load *wl)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "op", "load");
    cJSON_AddStringToObject(o, "model", model);
    put_settings(o, mp);
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
    if (get_settings(req, mp, err) < 0 || json_get_i32(req, "numa", 0, 4, &wl->numa, err) < 0 ||
        json_get_i32(req, "prio", -1, 3, &wl->prio, err) < 0)
        return -1;
    return 0;
}

/* the table of what t's kind measures (NULL: pp_tg has no object of its own) */
static const struct field_table *kind_table(enum work_kind k)
{
    switch (k) {
    case WORK_SWEEP: return &fields_sweep;
    case WORK_BATCHED: return &fields_batched;
    case WORK_PROBE: return &fields_probe;
    case WORK_PPL: return &fields_ppl;
    case WORK_PROMPTS: return &fields_prompts;
    case WORK_PP_TG: break;
    }
    return NULL;
}

cJSON *proto_run_req(const struct work_test *t)
{
    cJSON *o = cJSON_CreateObject();
    const void *parts[FIELD_N_PARTS] = {NULL, &t->cp, t};
    cJSON_AddStringToObject(o, "op", "run");
    field_write(fields_work.t, fields_work.n, FIELD_USE_WIRE, parts, FIELD_FORM_WIRE, o);
    field_write(fields_settings, fields_n_settings, FIELD_USE_WIRE, parts, FIELD_FORM_WIRE, o);
    const struct field_table *k = kind_table(t->kind);
    if (k)
        field_write(k->t, k->n, FIELD_USE_WIRE, parts, FIELD_FORM_WIRE,
                    cJSON_AddObjectToObject(o, k->name));
    return o;
}

int proto_parse_run(const cJSON *req, struct work_test *t, char *err)
{
    memset(t, 0, sizeof(*t));
    t->cp = engine_ctx_params_default();
    void *parts[FIELD_N_PARTS] = {NULL, &t->cp, t};
    if (field_read(fields_settings, fields_n_settings, FIELD_USE_WIRE, parts, FIELD_FORM_WIRE, req,
                   err) < 0 ||
        field_read(fields_work.t, fields_work.n, FIELD_USE_WIRE, parts, FIELD_FORM_WIRE, req, err) <
            0)
        return -1;
    const struct field_table *k = kind_table(t->kind);
    if (k) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(req, k->name);
        if (!cJSON_IsObject(w))
            return set_err(err, "protocol: field '%s' is missing or not an object", k->name);
        if (field_read(k->t, k->n, FIELD_USE_WIRE, parts, FIELD_FORM_WIRE, w, err) < 0)
            return -1;
    }
    /* what follows from the above: one context's batch and threads for every part */
    t->cp.n_threads_batch = t->cp.n_threads;
    t->pt.n_batch = (int)t->cp.n_batch;
    t->pt.n_threads = t->cp.n_threads;
    t->sw.n_threads = t->bt.n_threads = t->cp.n_threads;
    t->sw.no_warmup = t->bt.no_warmup = t->pt.no_warmup;
    t->sw.seed = t->bt.seed = t->pt.seed;
    t->bt.n_batch = (int)t->cp.n_batch;
    t->bt.n_ctx = (int)t->cp.n_ctx;
    t->gen.n_ctx = (int)t->cp.n_ctx;
    t->gen.n_batch = (int)t->cp.n_batch;
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
