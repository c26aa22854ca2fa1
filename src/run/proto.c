/* Protocol encoding and decoding (see proto.h). */
#include "proto.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../measure/kld.h"
#include "../util/json.h"
#include "../util/util.h"

cJSON *proto_load_req(const char *model, const struct engine_model_params *mp,
                      const struct work_load *wl)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "op", "load");
    cJSON_AddStringToObject(o, "model", model);
    cJSON_AddNumberToObject(o, "n_gpu_layers", mp->n_gpu_layers);
    cJSON_AddNumberToObject(o, "split_mode", mp->split_mode);
    cJSON_AddNumberToObject(o, "main_gpu", mp->main_gpu);
    cJSON_AddNumberToObject(o, "use_mmap", mp->use_mmap);
    cJSON_AddStringToObject(o, "devices", mp->devices);
    cJSON_AddStringToObject(o, "overrides", mp->overrides);
    cJSON_AddNumberToObject(o, "n_cpu_moe", mp->n_cpu_moe);
    cJSON_AddBoolToObject(o, "no_alloc", mp->no_alloc);
    cJSON_AddNumberToObject(o, "numa", wl->numa);
    cJSON_AddNumberToObject(o, "prio", wl->prio);
    cJSON *ts = cJSON_AddArrayToObject(o, "tensor_split");
    for (int i = 0; i < ENGINE_MAX_DEVICES; i++)
        cJSON_AddItemToArray(ts, cJSON_CreateNumber(mp->tensor_split[i]));
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
    int sm = 1;
    if (json_get_i32(req, "n_gpu_layers", -1, 1 << 20, &mp->n_gpu_layers, err) < 0 ||
        json_get_i32(req, "split_mode", 0, 3, &sm, err) < 0 ||
        json_get_i32(req, "main_gpu", 0, ENGINE_MAX_DEVICES, &mp->main_gpu, err) < 0 ||
        json_get_i32(req, "use_mmap", -1, 1, &mp->use_mmap, err) < 0 ||
        json_get_str(req, "devices", mp->devices, sizeof(mp->devices), err) < 0 ||
        json_get_str(req, "overrides", mp->overrides, sizeof(mp->overrides), err) < 0 ||
        json_get_i32(req, "n_cpu_moe", 0, 1 << 20, &mp->n_cpu_moe, err) < 0 ||
        json_get_i32(req, "numa", 0, 4, &wl->numa, err) < 0 ||
        json_get_i32(req, "prio", -1, 3, &wl->prio, err) < 0)
        return -1;
    mp->split_mode = (enum engine_split_mode)sm;
    mp->no_alloc = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "no_alloc"));
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(req, "tensor_split"), *it;
    int i = 0;
    cJSON_ArrayForEach (it, ts) {
        if (i < ENGINE_MAX_DEVICES && cJSON_IsNumber(it))
            mp->tensor_split[i] = (float)it->valuedouble;
        i++;
    }
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
    cJSON_AddNumberToObject(o, "n_ctx", t->cp.n_ctx);
    cJSON_AddNumberToObject(o, "n_batch", t->cp.n_batch);
    cJSON_AddNumberToObject(o, "n_ubatch", t->cp.n_ubatch);
    cJSON_AddNumberToObject(o, "n_seq_max", t->cp.n_seq_max);
    cJSON_AddNumberToObject(o, "flash_attn", t->cp.flash_attn);
    cJSON_AddStringToObject(o, "type_k", t->cp.type_k);
    cJSON_AddStringToObject(o, "type_v", t->cp.type_v);
    cJSON_AddNumberToObject(o, "n_threads", t->cp.n_threads);
    cJSON_AddNumberToObject(o, "poll", t->cp.poll);
    cJSON_AddStringToObject(o, "cpu_mask", t->cp.cpu_mask);
    cJSON_AddBoolToObject(o, "cpu_strict", t->cp.cpu_strict);
    cJSON_AddNumberToObject(o, "prio", t->cp.prio);
    cJSON_AddNumberToObject(o, "delay_s", t->delay_s);
    cJSON_AddBoolToObject(o, "auto_reps", t->pt.auto_reps);
    cJSON_AddNumberToObject(o, "min_reps", t->pt.min_reps);
    cJSON_AddNumberToObject(o, "rel_ci", t->pt.rel_ci);
    cJSON_AddNumberToObject(o, "max_time_s", t->pt.max_time_s);
    cJSON_AddBoolToObject(o, "no_kv_offload", t->cp.no_kv_offload);
    cJSON_AddBoolToObject(o, "kv_unified", t->cp.kv_unified);
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
    int n_ctx = 0, n_batch = 0, n_ubatch = 0, n_seq = 1;
    int64_t seed;
    memset(t, 0, sizeof(*t));
    t->cp = engine_ctx_params_default();
    const int big = 1 << 30;
    if (json_get_i32(req, "id", 0, big, &t->id, err) < 0 ||
        json_get_i32(req, "n_ctx", 1, big, &n_ctx, err) < 0 ||
        json_get_i32(req, "n_batch", 1, big, &n_batch, err) < 0 ||
        json_get_i32(req, "n_ubatch", 1, big, &n_ubatch, err) < 0 ||
        json_get_i32(req, "n_seq_max", 1, 4096, &n_seq, err) < 0 ||
        json_get_i32(req, "flash_attn", -1, 1, &t->cp.flash_attn, err) < 0 ||
        json_get_str(req, "type_k", t->cp.type_k, sizeof(t->cp.type_k), err) < 0 ||
        json_get_str(req, "type_v", t->cp.type_v, sizeof(t->cp.type_v), err) < 0 ||
        json_get_i32(req, "n_threads", 1, 4096, &t->cp.n_threads, err) < 0 ||
        json_get_i32(req, "poll", -1, 100, &t->cp.poll, err) < 0 ||
        json_get_i32(req, "n_prompt", 0, big, &t->pt.n_prompt, err) < 0 ||
        json_get_i32(req, "n_gen", 0, big, &t->pt.n_gen, err) < 0 ||
        json_get_i32(req, "n_depth", 0, big, &t->pt.n_depth, err) < 0 ||
        json_get_i32(req, "reps", 1, 1 << 20, &t->pt.reps, err) < 0 ||
        json_get_int(req, "seed", &seed, err) < 0 ||
        json_get_str(req, "cpu_mask", t->cp.cpu_mask, sizeof(t->cp.cpu_mask), err) < 0 ||
        json_get_i32(req, "prio", -1, 3, &t->cp.prio, err) < 0 ||
        json_get_i32(req, "min_reps", 0, 1 << 20, &t->pt.min_reps, err) < 0 ||
        json_get_num(req, "rel_ci", 0, 1e9, &t->pt.rel_ci, err) < 0 ||
        json_get_num(req, "max_time_s", 0, 1e9, &t->pt.max_time_s, err) < 0 ||
        json_get_num(req, "delay_s", 0, 1e9, &t->delay_s, err) < 0)
        return -1;
    t->cp.cpu_strict = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "cpu_strict"));
    t->pt.auto_reps = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "auto_reps"));
    t->cp.n_ctx = (uint32_t)n_ctx;
    t->cp.n_batch = (uint32_t)n_batch;
    t->cp.n_ubatch = (uint32_t)n_ubatch;
    t->cp.n_seq_max = (uint32_t)n_seq;
    t->cp.n_threads_batch = t->cp.n_threads;
    t->cp.no_kv_offload = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "no_kv_offload"));
    t->cp.kv_unified = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "kv_unified"));
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
