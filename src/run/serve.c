/* The worker's side of a worker process (engine/worker.h starts it): serve load, run
 * and quantize requests on fd 3, answer on fd 4, until quit or EOF. It runs the
 * measurements (measure/) against the engine; the parent never loads a model. */
#include "serve.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../engine/engine.h"
#include "../engine/worker.h"
#include "../gguf/imatrix.h"
#include "../measure/kld.h"
#include "../measure/pp_tg.h"
#include "../measure/prompts.h"
#include "../util/clock.h"
#include "../util/exit.h"
#include "../util/json.h"
#include "../util/lines.h"
#include "../util/log.h"
#include "../util/procmem.h"
#include "../util/rng.h"
#include "../util/sig.h"
#include "../util/util.h"
#include "proto.h"
#include "quality.h"

static int send_obj(cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    size_t n = strlen(s);
    s = xrealloc(s, n + 2);
    s[n++] = '\n';
    size_t off = 0;
    int ret = 0;
    while (off < n) {
        ssize_t k = write(WORKER_FD_OUT, s + off, n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            ret = -1;
            break;
        }
        off += (size_t)k;
    }
    free(s);
    cJSON_Delete(o);
    return ret;
}

/* {"ev":"error","kind":KIND,"msg":MSG}: what failed, for people, and its kind, for the
 * exit code and the row's status (util/exit.h) */
static int send_error(int id, enum qb_kind kind, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ev", "error");
    if (id >= 0)
        cJSON_AddNumberToObject(o, "id", id);
    cJSON_AddStringToObject(o, "kind", qb_kind_name(kind));
    cJSON_AddStringToObject(o, "msg", msg);
    return send_obj(o);
}

/* an engine call (or a measurement of the engine's) failed: the engine says of what kind */
static int send_engine_error(int id, const char *msg)
{
    return send_error(id, engine_last_error_kind(), msg);
}

/* QB_TEST_FAULT=noise: every odd repetition's times are reported 3 times as long;
 * steady: every repetition's as the first's (no spread, whatever the machine's load) */
static enum { FAULT_TIMES_REAL, FAULT_TIMES_NOISE, FAULT_TIMES_STEADY } fault_times;

static void add_noise(uint64_t *ns, int n)
{
    for (int i = 1; fault_times != FAULT_TIMES_REAL && ns && i < n; i++)
        if (fault_times == FAULT_TIMES_STEADY)
            ns[i] = ns[0];
        else if (i % 2)
            ns[i] *= 3;
}

/* Test-only fault injection: QB_TEST_FAULT="KIND:SUBSTRING" makes a worker whose model
 * path contains SUBSTRING fail at its first run with KIND = segv|abort|exit|hang, or with
 * KIND = badalloc die as the C++ runtime does when an allocation throws, or with KIND = oom
 * answer its run with an error of kind oom, as when the engine cannot allocate (true is
 * returned: the caller answers), or with KIND = noise or steady report spread or equal
 * repetitions (bench, sweep and batched times; see add_noise). A quantize matches its
 * output path too, and begins that file first, as the quantizer would have. */
static bool maybe_fault(const char *model, const char *out)
{
    const char *spec = getenv("QB_TEST_FAULT");
    if (!spec || !model)
        return false;
    const char *colon = strchr(spec, ':');
    if (!colon || !(strstr(model, colon + 1) || (out && strstr(out, colon + 1))))
        return false;
    size_t k = (size_t)(colon - spec);
    if ((k == 5 && strncmp(spec, "noise", 5) == 0) || (k == 6 && strncmp(spec, "steady", 6) == 0)) {
        fault_times = k == 5 ? FAULT_TIMES_NOISE : FAULT_TIMES_STEADY;
        return false;
    }
    if (out) {
        FILE *f = fopen(out, "wb");
        if (f) {
            fputs("GGUF", f);
            fclose(f);
        }
    }
    fprintf(stderr, "test fault '%.*s' injected\n", (int)k, spec);
    fflush(stderr);
    /* default dispositions, so a sanitizer's handler does not turn the death into an exit */
    if (k == 4 && strncmp(spec, "segv", 4) == 0) {
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
    } else if (k == 5 && strncmp(spec, "abort", 5) == 0) {
        signal(SIGABRT, SIG_DFL);
        abort();
    } else if (k == 4 && strncmp(spec, "exit", 4) == 0) {
        _exit(3);
    } else if (k == 4 && strncmp(spec, "hang", 4) == 0) {
        for (;;)
            pause();
    } else if (k == 8 && strncmp(spec, "badalloc", 8) == 0) {
        fputs("terminate called after throwing an instance of 'std::bad_alloc'\n"
              "  what():  std::bad_alloc\n",
              stderr);
        fflush(stderr);
        signal(SIGABRT, SIG_DFL);
        abort();
    }
    return k == 3 && strncmp(spec, "oom", 3) == 0;
}

static cJSON *model_json(struct engine *e)
{
    struct engine_model_info mi;
    engine_model_info(e, &mi);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", mi.desc);
    cJSON_AddNumberToObject(m, "size", (double)mi.size);
    cJSON_AddNumberToObject(m, "n_params", (double)mi.n_params);
    cJSON_AddNumberToObject(m, "n_vocab", mi.n_vocab);
    cJSON_AddNumberToObject(m, "n_layer", mi.n_layer);
    cJSON_AddNumberToObject(m, "n_ctx_train", mi.n_ctx_train);
    return m;
}

static cJSON *build_json(void)
{
    struct engine_build_info bi;
    engine_build_info(&bi);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "version", bi.version);
    cJSON_AddStringToObject(b, "commit", bi.commit);
    cJSON_AddNumberToObject(b, "build_number", bi.build_number);
    cJSON_AddStringToObject(b, "backends", bi.backends);
    cJSON_AddStringToObject(b, "cpu_info", bi.cpu_info);
    cJSON_AddStringToObject(b, "gpu_info", bi.gpu_info);
    cJSON_AddStringToObject(b, "system_info", bi.system_info);
    return b;
}

static cJSON *devices_json(void)
{
    struct engine_dev_mem d[ENGINE_MAX_DEVICES];
    int n = engine_devices_memory(d, ENGINE_MAX_DEVICES);
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", d[i].name);
        cJSON_AddStringToObject(o, "desc", d[i].desc);
        cJSON_AddBoolToObject(o, "gpu", d[i].gpu);
        cJSON_AddNumberToObject(o, "free", (double)d[i].free);
        cJSON_AddNumberToObject(o, "total", (double)d[i].total);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

/* device memory as the worker saw it before loading its model */
static cJSON *devices_at_load;

/* what llama.cpp allocated per buffer type, the process's RSS and peak, device free memory
 * now and before the load */
static cJSON *mem_json(const struct engine *e)
{
    char err[QB_ERR_LEN];
    struct engine_mem m;
    cJSON *o = cJSON_CreateObject();
    if (engine_memory(e, &m, err) == 0) {
        cJSON_AddBoolToObject(o, "exact", m.exact);
        cJSON *a = cJSON_AddArrayToObject(o, "buffers");
        for (int i = 0; i < m.n; i++) {
            cJSON *b = cJSON_CreateObject();
            cJSON_AddStringToObject(b, "buft", m.b[i].buft);
            cJSON_AddStringToObject(b, "dev", m.b[i].dev);
            cJSON_AddBoolToObject(b, "host", m.b[i].host);
            cJSON_AddNumberToObject(b, "model", (double)m.b[i].model);
            cJSON_AddNumberToObject(b, "context", (double)m.b[i].context);
            cJSON_AddNumberToObject(b, "compute", (double)m.b[i].compute);
            cJSON_AddNumberToObject(b, "output", (double)m.b[i].output);
            cJSON_AddItemToArray(a, b);
        }
    }
    struct proc_mem pm;
    if (proc_mem_read(0, &pm) == 0) {
        cJSON_AddNumberToObject(o, "rss", (double)pm.rss);
        cJSON_AddNumberToObject(o, "rss_peak", (double)pm.hwm);
        cJSON_AddNumberToObject(o, "rss_anon", (double)pm.anon);
        cJSON_AddNumberToObject(o, "rss_file", (double)pm.file);
    }
    cJSON_AddItemToObject(o, "devices", devices_json());
    if (devices_at_load)
        cJSON_AddItemToObject(o, "devices_before", cJSON_Duplicate(devices_at_load, 1));
    return o;
}

static cJSON *result_obj(const struct engine *e, int id, uint64_t ctx_ns)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ev", "result");
    cJSON_AddNumberToObject(o, "id", id);
    cJSON_AddNumberToObject(o, "ctx_ns", (double)ctx_ns);
    cJSON_AddItemToObject(o, "mem", mem_json(e));
    return o;
}

/* mem --measure and ctxmax: the context exists; with fill, decode n_ctx tokens so the last
 * ubatch and one token run at the deepest depth (every buffer touched, the peak reached);
 * with occupy, the cells below the last ubatch are occupied with zeros instead of decoded
 * (engine_seq_occupy), so the probe costs that ubatch, not a quadratic fill */
static int run_probe(struct engine *e, const struct work_test *t, uint64_t ctx_ns)
{
    char err[QB_ERR_LEN];
    /* test-only: QB_TEST_FAULT_CTX=N makes the probe of context N die, QB_TEST_FAULT_FULL_CTX=N
     * only its full decode (ctxmax tests) */
    const char *fc = getenv("QB_TEST_FAULT_CTX"), *ff = getenv("QB_TEST_FAULT_FULL_CTX");
    int fault_ctx = -1, fault_full = -1;
    if (ff && t->probe_fill && !t->probe_occupy && parse_int(ff, 0, INT32_MAX, &fault_full) == 0)
        fault_ctx = fault_full;
    else if (fc)
        parse_int(fc, 0, INT32_MAX, &fault_ctx);
    if (fault_ctx >= 0 && fault_ctx == (int)t->cp.n_ctx) {
        fprintf(stderr, "test fault: probe of n_ctx %u killed\n", t->cp.n_ctx);
        fflush(stderr);
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
    }
    uint64_t t0 = monotime_ns();
    bool occupied = false;
    if (t->probe_fill) {
        struct engine_model_info mi;
        engine_model_info(e, &mi);
        int n_ctx = (int)t->cp.n_ctx, chunk = (int)t->cp.n_batch;
        int32_t *tok = xcalloc((size_t)chunk, sizeof(int32_t));
        uint64_t r = t->pt.seed;
        /* a sequence holds n_ctx / n_seq cells unless the cache is unified: fill one */
        if (!t->cp.kv_unified && t->cp.n_seq_max > 1)
            n_ctx /= (int)t->cp.n_seq_max;
        /* the depth before the last ubatch, in n_batch chunks, then that ubatch, then one */
        int depth = n_ctx - (int)t->cp.n_ubatch - 1;
        if (depth < 0)
            depth = 0;
        int plan[3] = {depth, n_ctx - 1 - depth, 1};
        /* occupy: every cell written (zeros), all but the top one emptied again, so the
         * last ubatch and token run with the full-depth graph (n_kv, the mask, every
         * buffer as a full decode's; the cache's pages written) while attention skips the
         * masked empty cells: their cost is that of a load and one ubatch */
        if (t->probe_occupy && depth > 0) {
            if (engine_seq_occupy(e, 0, n_ctx, err) == 0) {
                occupied = true;
                plan[0] = 0;
            } else {
                engine_memory_clear(e);
                log_printf("probe: %s; decoding the %d cells instead\n", err, depth);
            }
        }
        for (int k = 0; k < 3; k++) {
            for (int done = 0; done < plan[k];) {
                int n = plan[k] - done < chunk ? plan[k] - done : chunk;
                for (int i = 0; i < n; i++)
                    tok[i] = (int32_t)(rng_next(&r) % (uint64_t)mi.n_vocab);
                if (engine_decode(e, tok, n, err) < 0) {
                    free(tok);
                    return send_engine_error(t->id, err);
                }
                done += n;
            }
        }
        engine_synchronize(e);
        free(tok);
    }
    cJSON *o = result_obj(e, t->id, ctx_ns);
    cJSON_AddBoolToObject(cJSON_GetObjectItemCaseSensitive(o, "mem"), "occupied", occupied);
    cJSON_AddNumberToObject(o, "probe_ns", (double)(monotime_ns() - t0));
    return send_obj(o);
}

static int run_pp_tg(struct engine *e, const struct work_test *t, struct depth_cache *dc,
                     uint64_t ctx_ns)
{
    char err[QB_ERR_LEN];
    struct pp_tg_result r;
    int rc = pp_tg_run(e, &t->pt, dc, &r, err);
    if (rc < 0) {
        pp_tg_result_release(&r);
        return send_engine_error(t->id, err);
    }
    add_noise(r.total_ns, r.n);
    add_noise(r.pp_ns, r.n);
    add_noise(r.tg_ns, r.n);
    add_noise(r.ttft_ns, r.n);
    cJSON *o = result_obj(e, t->id, ctx_ns);
    cJSON_AddNumberToObject(o, "warmup_ns", (double)r.warmup_ns);
    cJSON_AddNumberToObject(o, "depth_ns", (double)r.depth_ns);
    cJSON_AddNumberToObject(o, "depth_fills", r.depth_fills);
    cJSON_AddStringToObject(o, "reps_stop", pp_tg_stop_name(r.stop));
    cJSON_AddItemToObject(o, "samples_ns", json_u64_array(r.total_ns, r.n));
    cJSON_AddItemToObject(o, "pp_ns", json_u64_array(r.pp_ns, r.n));
    cJSON_AddItemToObject(o, "tg_ns", json_u64_array(r.tg_ns, r.n));
    cJSON_AddItemToObject(o, "ttft_ns", json_u64_array(r.ttft_ns, r.n));
    pp_tg_result_release(&r);
    return send_obj(o);
}

/* a measurement's units done so far, to the parent: {"ev":"progress","done":N,"total":M} */
static void send_units(void *ud, int done, int total)
{
    (void)ud;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ev", "progress");
    cJSON_AddNumberToObject(o, "done", done);
    cJSON_AddNumberToObject(o, "total", total);
    send_obj(o);
}

static int run_sweep(struct engine *e, const struct work_test *t, uint64_t ctx_ns)
{
    char err[QB_ERR_LEN];
    struct sweep_result r;
    struct sweep_params sp = t->sw;
    sp.progress = send_units;
    if (sweep_run(e, &sp, &r, err) < 0) {
        sweep_result_release(&r);
        return send_engine_error(t->id, err);
    }
    for (int i = 0; i < r.n_points; i++) {
        add_noise(r.points[i].pp_ns, r.points[i].n);
        add_noise(r.points[i].tg_ns, r.points[i].n);
    }
    cJSON *o = result_obj(e, t->id, ctx_ns);
    proto_add_sweep(o, &r);
    sweep_result_release(&r);
    return send_obj(o);
}

static int run_batched(struct engine *e, const struct work_test *t, uint64_t ctx_ns)
{
    char err[QB_ERR_LEN];
    struct batched_result r;
    if (batched_run(e, &t->bt, &r, err) < 0) {
        batched_result_release(&r);
        return send_engine_error(t->id, err);
    }
    add_noise(r.pp_ns, r.n);
    add_noise(r.tg_ns, r.n);
    add_noise(r.ttft_ns, r.n);
    cJSON *o = result_obj(e, t->id, ctx_ns);
    proto_add_batched(o, &r);
    batched_result_release(&r);
    return send_obj(o);
}

/* quality: the hooks that save a base file and compute the KL-divergence */
struct ppl_io {
    struct kld_file kf;
    struct kld_acc acc;
    enum qb_kind fail; /* the kind of a hook's failure: its file's, not the engine's */
};

static int save_row(void *ud, const float *logits, int n_vocab, int tok, double *nll, char *err)
{
    struct ppl_io *io = ud;
    if (io->kf.k)
        *nll = kld_save_topk(logits, n_vocab, io->kf.k, (uint32_t *)(void *)io->kf.row, tok);
    else
        *nll = kld_save_row(logits, n_vocab, io->kf.row, tok);
    if (kld_file_write_row(&io->kf, err) < 0) {
        io->fail = QB_KIND_RUNTIME; /* the base file being written */
        return -1;
    }
    return 0;
}

static int kld_hook(void *ud, const float *logits, int n_vocab, int tok, double *nll, char *err)
{
    struct ppl_io *io = ud;
    if (kld_file_next(&io->kf, err) < 0) {
        io->fail = QB_KIND_INPUT; /* the base file read: short or corrupt */
        return -1;
    }
    if (io->kf.k)
        *nll = kld_row_topk(&io->acc, logits, n_vocab, io->kf.k,
                            (const uint32_t *)(const void *)io->kf.row, tok);
    else
        *nll = kld_row(&io->acc, logits, n_vocab, io->kf.row, tok);
    return 0;
}

/* the importance matrix being collected (WORK_PPL_IMATRIX) */
static struct imatrix worker_imx;

/* quality: perplexity of a text; WORK_PPL_SAVE_BASE also writes the base file; with
 * WORK_PPL_KLD the tokens and base log-probabilities come from the base file
 * (KL-divergence); WORK_PPL_IMATRIX collects an importance matrix into base_path, as
 * llama-imatrix does */
static int run_ppl(struct engine *e, const struct work_test *t, uint64_t ctx_ns)
{
    char err[QB_ERR_LEN];
    struct engine_model_info mi;
    engine_model_info(e, &mi);
    struct ppl_params pl = t->pl;
    pl.all_logits = t->ppl_mode == WORK_PPL_IMATRIX;
    pl.progress = send_units;
    struct ppl_io io;
    memset(&io, 0, sizeof(io));
    int32_t *tok = NULL;
    int n = 0, rc;
    if (t->ppl_mode == WORK_PPL_KLD) {
        if (kld_file_open(t->base_path, &io.kf, err) < 0)
            return send_error(t->id, QB_KIND_INPUT, err);
        if (io.kf.n_vocab != mi.n_vocab) {
            set_err(err,
                    "'%s' holds log-probabilities over %d tokens, the model's vocabulary has %d",
                    t->base_path, io.kf.n_vocab, mi.n_vocab);
            kld_file_close(&io.kf);
            return send_error(t->id, QB_KIND_INPUT, err);
        }
        int diff;
        rc = ppl_tokens_check(e, io.kf.tokens, (int)io.kf.n_ctx * io.kf.n_chunk, &diff, err);
        if (rc) {
            if (rc > 0)
                set_err(err,
                        "'%s' comes from another model's tokenizer: its tokens are not what this "
                        "model makes of their text (they differ from token %d on)",
                        t->base_path, diff);
            kld_file_close(&io.kf);
            return send_error(t->id, rc > 0 ? QB_KIND_INPUT : engine_last_error_kind(), err);
        }
        pl.n_ctx = (int)io.kf.n_ctx;
        n = (int)io.kf.n_ctx * io.kf.n_chunk;
        tok = xcalloc((size_t)n, sizeof(*tok));
        memcpy(tok, io.kf.tokens, (size_t)n * sizeof(*tok));
    } else {
        size_t len = 0;
        char *text = read_file(t->text_path, 1ull << 30, &len, err);
        if (!text)
            return send_error(t->id, QB_KIND_INPUT, err);
        rc = engine_tokenize(e, text, len, true, &tok, &n, err);
        free(text);
        if (rc < 0)
            return send_engine_error(t->id, err);
    }
    if (ppl_check_length(&pl, n, err) < 0) { /* the text's fault: say which */
        char *msg = xasprintf("'%s': %s", t->text_path, err);
        free(tok);
        kld_file_close(&io.kf);
        rc = send_error(t->id, QB_KIND_INPUT, msg);
        free(msg);
        return rc;
    }
    if (t->ppl_mode == WORK_PPL_SAVE_BASE &&
        kld_file_create(t->base_path, &io.kf, (uint32_t)pl.n_ctx, mi.n_vocab, ppl_n_chunks(&pl, n),
                        t->topk, tok, err) < 0) {
        free(tok);
        return send_error(t->id, QB_KIND_RUNTIME, err);
    }
    struct ppl_hook hook = {&io, t->ppl_mode == WORK_PPL_SAVE_BASE ? save_row : kld_hook};
    struct ppl_result r;
    rc = ppl_run(e, tok, n, &pl,
                 t->ppl_mode == WORK_PPL_SAVE_BASE || t->ppl_mode == WORK_PPL_KLD ? &hook : NULL,
                 &r, err);
    free(tok);
    /* a hook's failure is its file's; else the engine's (a decode) */
    enum qb_kind kind = rc < 0 && io.fail ? io.fail : engine_last_error_kind();
    if (rc == 0 && t->ppl_mode == WORK_PPL_SAVE_BASE && (rc = kld_file_commit(&io.kf, err)) < 0)
        kind = QB_KIND_RUNTIME;
    if (t->ppl_mode == WORK_PPL_IMATRIX) { /* the importance matrix, as llama-imatrix writes it */
        int rc2 = engine_imatrix_end(e, err);
        if (rc == 0 && rc2 < 0)
            rc = -1;
        if (rc == 0) {
            worker_imx.chunk_count = r.n_chunks;
            worker_imx.chunk_size = pl.n_ctx;
            worker_imx.datasets = xcalloc(1, sizeof(char *));
            worker_imx.datasets[0] = xstrdup(t->text_path);
            worker_imx.n_datasets = 1;
            if ((rc = imatrix_write(&worker_imx, t->base_path, err)) < 0)
                kind = QB_KIND_RUNTIME;
        }
        imatrix_free(&worker_imx);
    }
    kld_file_close(&io.kf);
    if (rc < 0) {
        free(r.chunk_ppl);
        free(io.acc.kld_values);
        free(io.acc.p_diff_values);
        return send_error(t->id, kind, err);
    }
    cJSON *o = result_obj(e, t->id, ctx_ns);
    cJSON_AddNumberToObject(o, "n_tokens", n);
    cJSON_AddNumberToObject(o, "n_ctx", pl.n_ctx);
    cJSON_AddNumberToObject(o, "n_chunks", r.n_chunks);
    cJSON_AddNumberToObject(o, "n_seq", r.n_seq);
    cJSON_AddNumberToObject(o, "count", (double)r.count);
    cJSON_AddNumberToObject(o, "nll", r.nll);
    cJSON_AddNumberToObject(o, "nll2", r.nll2);
    cJSON_AddNumberToObject(o, "ppl", r.ppl);
    cJSON_AddNumberToObject(o, "ppl_err", r.ppl_err);
    cJSON_AddNumberToObject(o, "ppl_ns", (double)r.ns);
    cJSON_AddItemToObject(o, "chunk_ppl", cJSON_CreateDoubleArray(r.chunk_ppl, r.n_chunks));
    if (t->ppl_mode == WORK_PPL_KLD) {
        struct kld_stats ks;
        kld_finish(&io.acc, &ks);
        cJSON_AddItemToObject(o, "kld", quality_kld_json(&ks));
    }
    free(r.chunk_ppl);
    free(io.acc.kld_values);
    free(io.acc.p_diff_values);
    return send_obj(o);
}

/* an answer's token as it comes, to the parent: {"ev":"token","n":N,"text":T} (T the
 * text it made visible, "" while held back) */
static void send_token(void *ud, int n, const char *text, size_t len)
{
    (void)ud;
    char *s = xstrndup(text, len);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ev", "token");
    cJSON_AddNumberToObject(o, "n", n);
    cJSON_AddStringToObject(o, "text", s);
    free(s);
    send_obj(o);
}

/* prompts: the answer to one prompt, its tokens streamed as they come; a prompt that
 * does not fit the context is the prompt's fault (input). warmup_ns: the warm-up of a new
 * context before it (0: the context was kept) */
static int run_prompts(struct engine *e, const struct work_test *t, uint64_t ctx_ns,
                       uint64_t warmup_ns)
{
    char err[QB_ERR_LEN];
    int32_t *tok;
    int n;
    enum engine_chat_tmpl tmpl;
    /* test-only: QB_TEST_FAULT_PROMPT=S makes the worker die at a prompt containing S */
    const char *fp = getenv("QB_TEST_FAULT_PROMPT");
    if (fp && fp[0] && t->prompt && strstr(t->prompt, fp)) {
        fprintf(stderr, "test fault: prompt containing '%s' killed\n", fp);
        fflush(stderr);
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
    }
    if (prompts_tokenize(e, t->system, t->prompt ? t->prompt : "", &tok, &n, &tmpl, err) < 0)
        return send_engine_error(t->id, err);
    if (prompts_check_length(n, t->gen.n_ctx, err) < 0) {
        free(tok);
        return send_error(t->id, QB_KIND_INPUT, err);
    }
    struct prompts_gen_params gp = t->gen;
    gp.token = send_token;
    struct prompts_gen_result r;
    int rc = prompts_gen(e, tok, n, &gp, &r, err);
    free(tok);
    if (rc < 0) {
        prompts_gen_result_release(&r);
        return send_engine_error(t->id, err);
    }
    cJSON *o = result_obj(e, t->id, ctx_ns);
    cJSON_AddNumberToObject(o, "warmup_ns", (double)warmup_ns);
    cJSON_AddStringToObject(o, "chat_template", engine_chat_tmpl_name(tmpl));
    cJSON_AddNumberToObject(o, "n_prompt_tokens", r.n_prompt_tokens);
    cJSON_AddNumberToObject(o, "n_gen_tokens", r.n_gen_tokens);
    cJSON_AddNumberToObject(o, "ttft_ns", (double)r.ttft_ns);
    cJSON_AddNumberToObject(o, "gen_ns", (double)r.gen_ns);
    cJSON_AddNumberToObject(o, "total_ns", (double)r.total_ns);
    cJSON_AddStringToObject(o, "stop", prompts_stop_name(r.stop));
    cJSON_AddStringToObject(o, "text", r.text);
    prompts_gen_result_release(&r);
    return send_obj(o);
}

/* the context a batched or prompts run left for the next one of its kind with the same
 * settings */
static bool kept_ctx;
static enum work_kind kept_kind;
static struct engine_ctx_params kept_cp;

static int do_run(struct engine *e, const cJSON *req, const char *model, struct depth_cache *dc)
{
    char err[QB_ERR_LEN];
    struct work_test t;
    uint64_t ctx_ns = 0;
    if (proto_parse_run(req, &t, err) < 0)
        return send_error(-1, QB_KIND_RUNTIME, err);
    engine_clear_error_kind(); /* a failure of this test is of its own kind, not an earlier one's */
    if (maybe_fault(model, NULL))
        return send_error(t.id, QB_KIND_OOM, "test fault 'oom' injected: out of memory");
    /* bench creates a context per test, as llama-bench; batched keeps one for all its
     * combinations, as llama-batched-bench, and prompts one for all its prompts, warmed up
     * once (but with no_warmup), as llama-server */
    bool keep = t.kind == WORK_BATCHED || t.kind == WORK_PROMPTS, fresh = false;
    if (t.kind == WORK_PPL && t.ppl_mode == WORK_PPL_IMATRIX) { /* quantize --imatrix-from */
        imatrix_free(&worker_imx);
        engine_imatrix_begin(e, &worker_imx, t.imx_output);
    }
    if (!(keep && kept_ctx && kept_kind == t.kind && memcmp(&kept_cp, &t.cp, sizeof(t.cp)) == 0)) {
        kept_ctx = false;
        uint64_t t0 = monotime_ns();
        if (engine_ctx_create(e, &t.cp, err) < 0) {
            char e2[QB_ERR_LEN];
            engine_imatrix_end(e, e2); /* no collecting into the next context */
            return send_engine_error(t.id, err);
        }
        ctx_ns = monotime_ns() - t0;
        fresh = true;
    }
    uint64_t warmup_ns = 0;
    if (t.kind == WORK_PROMPTS && fresh && !t.pt.no_warmup) {
        uint64_t t0 = monotime_ns();
        if (prompts_warmup(e, err) < 0) {
            engine_ctx_free(e);
            return send_engine_error(t.id, err);
        }
        warmup_ns = monotime_ns() - t0;
    }
    if (t.delay_s > 0) {
        struct timespec ts = {(time_t)t.delay_s,
                              (long)((t.delay_s - (double)(time_t)t.delay_s) * 1e9)};
        nanosleep(&ts, NULL);
    }
    int rc;
    switch (t.kind) {
    case WORK_SWEEP: rc = run_sweep(e, &t, ctx_ns); break;
    case WORK_BATCHED: rc = run_batched(e, &t, ctx_ns); break;
    case WORK_PROBE: rc = run_probe(e, &t, ctx_ns); break;
    case WORK_PPL: rc = run_ppl(e, &t, ctx_ns); break;
    case WORK_PROMPTS: rc = run_prompts(e, &t, ctx_ns, warmup_ns); break;
    default: rc = run_pp_tg(e, &t, dc, ctx_ns); break;
    }
    if (t.kind == WORK_PPL && t.ppl_mode == WORK_PPL_IMATRIX) { /* also after an early error */
        engine_imatrix_end(e, err);
        imatrix_free(&worker_imx);
    }
    if (keep) {
        kept_ctx = true;
        kept_kind = t.kind;
        kept_cp = t.cp;
    } else {
        engine_ctx_free(e);
    }
    return rc;
}

struct load_progress {
    float last;      /* last value reported by llama.cpp */
    float last_sent; /* last value forwarded to the parent */
};

/* forward load progress to the parent in steps of 10% */
static void on_load_progress(float p, void *ud)
{
    struct load_progress *lp = ud;
    lp->last = p;
    if (p - lp->last_sent >= 0.1f || (p >= 1.0f && lp->last_sent < 1.0f)) {
        lp->last_sent = p;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "ev", "progress");
        cJSON_AddNumberToObject(o, "p", p);
        send_obj(o);
    }
}

static int do_load(struct engine **e, const cJSON *req, char **model_out, struct depth_cache *dc)
{
    static bool numa_done;
    char err[QB_ERR_LEN];
    const char *model;
    struct engine_model_params mp;
    struct work_load wl;
    if (proto_parse_load(req, &model, &mp, &wl, err) < 0)
        return send_error(-1, QB_KIND_RUNTIME, err);
    if (!numa_done) {
        engine_numa_init(wl.numa);
        numa_done = true;
    }
    if (engine_set_process_priority(wl.prio, err) < 0)
        return send_engine_error(-1, err);
    depth_cache_release(dc);
    engine_close(*e);
    *e = NULL;
    kept_ctx = false;
    free(*model_out);
    *model_out = xstrdup(model);
    struct load_progress lp = {0, -1.0f};
    mp.progress = on_load_progress;
    mp.progress_ud = &lp;
    cJSON *dev_before = devices_json();
    uint64_t t0 = monotime_ns();
    *e = engine_open(model, &mp, err);
    if (!*e) {
        cJSON_Delete(dev_before);
        return send_engine_error(-1, err);
    }
    uint64_t load_ns = monotime_ns() - t0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ev", "loaded");
    cJSON_AddNumberToObject(o, "load_ns", (double)load_ns);
    cJSON_AddNumberToObject(o, "load_progress", lp.last);
    cJSON_AddItemToObject(o, "model", model_json(*e));
    cJSON_AddItemToObject(o, "build", build_json());
    cJSON_Delete(devices_at_load);
    devices_at_load = cJSON_Duplicate(dev_before, 1);
    cJSON_AddItemToObject(o, "devices_before", dev_before);
    return send_obj(o);
}

/* {"op":"quantize","in":...,"out":...,"ftype":N,"threads":N[,"imatrix":FILE]}: llama.cpp's
 * quantizer in this process, so a crash or an out-of-memory takes only the worker */
static int do_quantize(const cJSON *req)
{
    char err[QB_ERR_LEN];
    struct quantize_params qp;
    if (proto_parse_quantize(req, &qp, err) < 0)
        return send_error(-1, QB_KIND_RUNTIME, err);
    if (maybe_fault(qp.in, qp.out))
        return send_error(0, QB_KIND_OOM, "test fault 'oom' injected: out of memory");
    uint64_t t0 = monotime_ns();
    struct imatrix im = {0};
    const char *imp = qp.imatrix;
    if (imp && imatrix_read_file(imp, &im, err) < 0)
        return send_error(0, QB_KIND_INPUT, err);
    int rc = engine_quantize(qp.in, qp.out, qp.ftype, qp.threads, imp ? &im : NULL, imp, err);
    imatrix_free(&im);
    if (rc < 0)
        return send_engine_error(0, err);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ev", "result");
    cJSON_AddNumberToObject(o, "id", 0);
    cJSON_AddNumberToObject(o, "ns", (double)(monotime_ns() - t0));
    cJSON_AddItemToObject(o, "build", build_json());
    return send_obj(o);
}

int worker_main(int verbosity)
{
    struct lines in = {0};
    struct engine *e = NULL;
    struct depth_cache dc = {0};
    char *model = NULL;
    int ret = 0;
    log_set_level(verbosity >= 2   ? LOG_LEVEL_DEBUG
                  : verbosity == 1 ? LOG_LEVEL_INFO
                                   : LOG_LEVEL_WARN);
    engine_global_init(verbosity);
    for (;;) {
        char *line = lines_pop(&in);
        if (!line) {
            char buf[65536];
            ssize_t k = read(WORKER_FD_IN, buf, sizeof(buf));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break; /* parent went away */
            lines_add(&in, buf, (size_t)k);
            if (in.len > WORKER_MAX_LINE) {
                ret = 2;
                break;
            }
            continue;
        }
        cJSON *req = cJSON_Parse(line);
        free(line);
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "op");
        int rc;
        if (!cJSON_IsString(op)) {
            rc = send_error(-1, QB_KIND_RUNTIME, "protocol: request without an op");
        } else if (strcmp(op->valuestring, "quit") == 0) {
            cJSON_Delete(req);
            break;
        } else if (strcmp(op->valuestring, "load") == 0) {
            rc = do_load(&e, req, &model, &dc);
        } else if (strcmp(op->valuestring, "quantize") == 0) {
            rc = do_quantize(req);
        } else if (strcmp(op->valuestring, "run") == 0) {
            rc = e ? do_run(e, req, model, &dc)
                   : send_error(-1, QB_KIND_RUNTIME, "protocol: run before load");
        } else {
            rc = send_error(-1, QB_KIND_RUNTIME, "protocol: unknown op");
        }
        cJSON_Delete(req);
        if (rc < 0) {
            ret = 1;
            break;
        }
    }
    depth_cache_release(&dc);
    engine_close(e);
    cJSON_Delete(devices_at_load);
    devices_at_load = NULL;
    free(model);
    free(in.buf);
    return ret;
}
