/* mem's measurements (see mem.h). */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../net/hf.h"
#include "../record/fields.h"
#include "../record/memsum.h"
#include "../util/exit.h"
#include "../util/json.h"
#include "../util/sha256.h"
#include "../util/sig.h"
#include "proto.h"
#include "runner.h"

void mem_run_params_init(struct mem_run_params *p)
{
    memset(p, 0, sizeof(*p));
    p->mp = engine_model_params_default();
    p->cp = engine_ctx_params_default();
    p->gpus = -1;
}

/* devices a device list names ("CUDA0,CUDA1" or "CUDA0/CUDA1"); 0 for "" and "none" */
static int dev_count(const char *list)
{
    if (!list[0] || !strcmp(list, "none"))
        return 0;
    int n = 0;
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, ",/");
        n += k > 0;
        p += k;
        if (*p)
            p++;
    }
    return n;
}

void mem_run_mem_params(const struct mem_run_params *p, struct mem_params *mp)
{
    mem_params_default(mp);
    int n_gpus;
    bool rp, rp512;
    engine_host_caps(&n_gpus, &rp, &rp512);
    int n_dev = dev_count(p->mp.devices);
    mp->n_gpus = p->gpus >= 0 ? p->gpus : n_dev ? n_dev : n_gpus;
    if (!strcmp(p->mp.devices, "none"))
        mp->n_gpus = 0;
    /* llama.cpp adds the CPU's extra buffer types (repacking) only when no GPU device is
     * present (make_cpu_buft_list); seen on an H100: no CPU_REPACK buffer */
    mp->repack = rp && mp->n_gpus == 0;
    mp->repack_avx512 = rp512 && mp->n_gpus == 0;
    mp->n_gpu_layers = p->mp.n_gpu_layers;
    for (int i = 0; i < MEM_MAX_GPUS; i++)
        mp->split[i] = p->mp.tensor_split[i];
    mp->n_ctx = p->cp.n_ctx;
    mp->n_batch = p->cp.n_batch;
    mp->n_ubatch = p->cp.n_ubatch;
    mp->n_seq = p->cp.n_seq_max;
    mp->kv_unified = p->cp.kv_unified;
    snprintf(mp->type_k, sizeof(mp->type_k), "%s", p->cp.type_k);
    snprintf(mp->type_v, sizeof(mp->type_v), "%s", p->cp.type_v);
    mp->flash_attn = p->cp.flash_attn;
    snprintf(mp->overrides, sizeof(mp->overrides), "%s", p->mp.overrides);
    mp->n_cpu_moe = p->mp.n_cpu_moe;
    mp->no_kv_offload = p->cp.no_kv_offload;
    mp->use_mmap = p->mp.use_mmap;
}

/* Why the estimate is not for this machine: gpus other than the GPUs it has, or a device
 * it has not ("" when it is for this machine) */
static void other_hardware(const struct mem_run_params *p, char *why, size_t n)
{
    struct engine_dev_mem d[ENGINE_MAX_DEVICES];
    int nd = engine_devices_memory(d, ENGINE_MAX_DEVICES), n_gpus = 0;
    for (int i = 0; i < nd; i++)
        n_gpus += d[i].gpu;
    why[0] = '\0';
    if (p->gpus >= 0 && p->gpus != n_gpus) {
        snprintf(why, n, "--gpus %d, and this machine has %d GPU%s", p->gpus, n_gpus,
                 n_gpus == 1 ? "" : "s");
        return;
    }
    const char *list = p->mp.devices;
    if (!list[0] || !strcmp(list, "none"))
        return;
    for (const char *s = list; *s;) {
        size_t k = strcspn(s, ",/");
        int i;
        for (i = 0; i < nd; i++)
            if (d[i].gpu && strlen(d[i].name) == k && !strncmp(d[i].name, s, k))
                break;
        if (k > 0 && i == nd) {
            snprintf(why, n, "-dev %s, and this machine has no device '%.*s'", list, (int)k, s);
            return;
        }
        s += k;
        if (*s)
            s++;
    }
}

#define HEADER_FIRST      (1u << 20)   /* bytes asked first: a header with a 150k vocabulary fits */
#define HEADER_FIRST_PART (64u << 10)  /* ... of a split model's later parts */
#define HEADER_MAX        (512u << 20) /* the most read before a header is called implausible */

static int qb_exit_of(enum qb_kind k)
{
    return k == QB_KIND_INTERRUPTED ? sig_exit_code() : qb_kind_exit(k);
}

/* The header of one file over HTTP (hf_read_range: redirects, the token to the Hub only):
 * a first 1 MiB, then as much as the parse asks for, and at least as much again */
static int url_header(const char *url, uint64_t size_hint, size_t first, struct gf_file **f,
                      uint64_t *bytes, char *err)
{
    size_t have = 0, cap = first;
    unsigned char *buf = xmalloc(cap);
    uint64_t size = size_hint ? size_hint : UINT64_MAX, need = first;
    int ret = QB_EXIT_INPUT;
    for (;;) {
        if (need > cap) {
            cap = need;
            buf = xrealloc(buf, cap);
        }
        size_t want_n = cap - have, got;
        uint64_t total;
        enum qb_kind kind;
        int rc = hf_read_range(url, have, want_n, buf + have, &got, &total, &kind, err);
        if (rc < 0) {
            ret = qb_exit_of(kind);
            break;
        }
        *bytes += got;
        if (total)
            size = total;
        have += got;
        if (size == UINT64_MAX || got < want_n) /* the whole file is here */
            size = have;
        uint64_t want = 0;
        int g = gf_read_header_mem(buf, have, size, url, f, &want, err);
        if (g == 0) {
            ret = 0;
            break;
        }
        if (g != GF_NEED_MORE)
            break;
        if (want > HEADER_MAX) {
            set_err(err, "'%s': the GGUF header claims more than %u MiB (%llu bytes): not read",
                    url, HEADER_MAX >> 20, (unsigned long long)want);
            break;
        }
        need = want > 2 * (uint64_t)have ? want : 2 * (uint64_t)have;
        if (need > size)
            need = size;
        if (need > HEADER_MAX)
            need = HEADER_MAX;
    }
    free(buf);
    return ret;
}

/* The parts of a split model as one: part 1's metadata, every part's tensors, their data
 * laid end to end after part 1's header (the span llama.cpp maps, summed) */
static void merge_part(struct gf_file *into, struct gf_file *part, uint64_t *data_end)
{
    uint64_t base = *data_end;
    uint64_t end = 0;
    into->tensors = xrealloc(into->tensors,
                             (size_t)(into->n_tensors + part->n_tensors) * sizeof(*into->tensors));
    for (uint64_t i = 0; i < part->n_tensors; i++) {
        struct gf_tensor t = part->tensors[i];
        if (t.offset + t.n_bytes > end)
            end = t.offset + t.n_bytes;
        t.offset += base;
        into->tensors[into->n_tensors++] = t;
        part->tensors[i].name = NULL; /* moved */
    }
    *data_end = base + (end + into->alignment - 1) / into->alignment * into->alignment;
    into->file_size += part->file_size;
    into->data_absent |= part->data_absent;
}

static uint64_t data_end_of(const struct gf_file *f)
{
    uint64_t end = 0;
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (f->tensors[i].offset + f->tensors[i].n_bytes > end)
            end = f->tensors[i].offset + f->tensors[i].n_bytes;
    return (end + f->alignment - 1) / f->alignment * f->alignment;
}

int mem_read_header(const char *model, struct gf_file **f, uint64_t *bytes, char *err)
{
    *bytes = 0;
    *f = NULL;
    if (!model_is_remote(model)) {
        if (gf_read_header_file(model, f, err) < 0)
            return QB_EXIT_INPUT;
        *bytes = (*f)->file_size;
        /* the first part of a split model (PREFIX-00001-of-0000N.gguf): the others beside */
        size_t len = strlen(model);
        int n_parts = 0;
        if (len > 20 && !strcmp(model + len - 5, ".gguf") &&
            !strncmp(model + len - 20, "-00001-of-", 10) &&
            sscanf(model + len - 10, "%5d", &n_parts) == 1 && n_parts > 1) {
            uint64_t data_end = data_end_of(*f);
            for (int k = 2; k <= n_parts; k++) {
                char *part_path = xstrdup(model);
                char num[16];
                snprintf(num, sizeof(num), "%05d", k);
                memcpy(part_path + len - 19, num, 5);
                struct gf_file *part = NULL;
                int rc = gf_read_header_file(part_path, &part, err);
                free(part_path);
                if (rc < 0) {
                    gf_free(*f);
                    *f = NULL;
                    return QB_EXIT_INPUT;
                }
                *bytes += part->file_size;
                merge_part(*f, part, &data_end);
                gf_free(part);
            }
        }
        return 0;
    }
    struct hf_files fs;
    enum qb_kind kind;
    if (hf_resolve(model, NULL, &fs, &kind, err) < 0)
        return qb_exit_of(kind);
    int ret = 0;
    uint64_t data_end = 0;
    for (size_t i = 0; i < fs.n && ret == 0; i++) {
        struct gf_file *part = NULL;
        /* parts after the first hold tensor infos, no vocabulary: a smaller first read */
        ret = url_header(fs.v[i].url, fs.v[i].size, i ? HEADER_FIRST_PART : HEADER_FIRST, &part,
                         bytes, err);
        if (ret)
            break;
        if (!*f) {
            *f = part;
            data_end = data_end_of(part);
            continue;
        }
        merge_part(*f, part, &data_end);
        gf_free(part);
    }
    hf_files_free(&fs);
    if (ret) {
        gf_free(*f);
        *f = NULL;
    }
    return ret;
}

int mem_run_estimate(const struct mem_run_params *p, struct mem_model *m, char *err)
{
    char why[QB_ERR_LEN];
    m->path = p->model;
    if (!m->f) {
        int rc = mem_read_header(p->model, &m->f, &m->header_bytes, err);
        if (rc)
            return rc;
    }
    m->header_only = m->f->data_absent || model_is_remote(p->model);
    mem_run_mem_params(p, &m->mp);
    other_hardware(p, m->other_hw, sizeof(m->other_hw));
    int rc = mem_estimate(m->f, &m->mp, &m->est, why);
    if (rc == -2) {
        set_err(err, "%s", why);
        return QB_EXIT_USAGE;
    }
    if (rc < 0) {
        set_err(err, "'%s': %s", p->model, why);
        return QB_EXIT_INPUT;
    }
    return 0;
}

/* the devices of a worker's array ("devices", "devices_before") into d; -1: none sent */
static int devices_from(struct json_reader *jr, const cJSON *a, struct engine_dev_mem *d)
{
    if (!cJSON_IsArray(a))
        return -1;
    int n = 0;
    const cJSON *o;
    cJSON_ArrayForEach (o, a) {
        if (n == ENGINE_MAX_DEVICES)
            break;
        struct engine_dev_mem *x = &d[n++];
        jr_str(jr, o, "name", x->name, sizeof(x->name));
        jr_str(jr, o, "desc", x->desc, sizeof(x->desc));
        x->gpu = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "gpu"));
        x->free = (uint64_t)jr_num(jr, o, "free");
        x->total = (uint64_t)jr_num(jr, o, "total");
    }
    return n;
}

/* a worker's "mem" object (run/serve.c mem_json) into pr: its buffers and RSS when sent
 * (each then with every field), its devices; -1 with err naming a missing field */
static int probe_from(const cJSON *mem, struct mem_probe *pr, char *err)
{
    struct json_reader jr = {0};
    memset(pr, 0, sizeof(*pr));
    const cJSON *bufs = cJSON_GetObjectItemCaseSensitive(mem, "buffers"), *b;
    pr->have_bufs = cJSON_IsArray(bufs);
    pr->bufs.exact = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mem, "exact"));
    cJSON_ArrayForEach (b, bufs) {
        if (pr->bufs.n == ENGINE_MAX_BUFS)
            break;
        struct engine_mem_buf *x = &pr->bufs.b[pr->bufs.n++];
        jr_str(&jr, b, "buft", x->buft, sizeof(x->buft));
        jr_str(&jr, b, "dev", x->dev, sizeof(x->dev));
        x->host = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "host"));
        x->model = (uint64_t)jr_num(&jr, b, "model");
        x->context = (uint64_t)jr_num(&jr, b, "context");
        x->compute = (uint64_t)jr_num(&jr, b, "compute");
        x->output = (uint64_t)jr_num(&jr, b, "output");
    }
    pr->have_rss = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(mem, "rss"));
    if (pr->have_rss) {
        pr->rss = (uint64_t)jr_num(&jr, mem, "rss");
        pr->rss_peak = (uint64_t)jr_num(&jr, mem, "rss_peak");
        pr->rss_anon = (uint64_t)jr_num(&jr, mem, "rss_anon");
        pr->rss_file = (uint64_t)jr_num(&jr, mem, "rss_file");
    }
    pr->occupied = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mem, "occupied"));
    pr->n_dev = devices_from(&jr, cJSON_GetObjectItemCaseSensitive(mem, "devices"), pr->dev);
    if (pr->n_dev < 0)
        pr->n_dev = 0;
    pr->n_dev_before =
        devices_from(&jr, cJSON_GetObjectItemCaseSensitive(mem, "devices_before"), pr->dev_before);
    return jr.failed ? set_err(err, "%s", jr.err) : 0;
}

/* A probe's answer into out (its "mem" object kept as out->json, with the probe's, the
 * context's and the load's times added); -1 with err when a field is missing */
static int take_probe(cJSON *resp, uint64_t load_ns, struct mem_probe *out, char *err)
{
    struct json_reader jr = {0};
    double probe_ns = jr_num(&jr, resp, "probe_ns"), ctx_ns = jr_num(&jr, resp, "ctx_ns");
    if (jr.failed)
        return set_err(err, "%s", jr.err);
    cJSON *mem = cJSON_DetachItemFromObject(resp, "mem");
    if (!cJSON_IsObject(mem)) {
        cJSON_Delete(mem);
        return set_err(err, "protocol: a probe's result without its memory");
    }
    if (probe_from(mem, out, err) < 0) {
        cJSON_Delete(mem);
        return -1;
    }
    out->probe_ns = (uint64_t)probe_ns;
    out->ctx_ns = (uint64_t)ctx_ns;
    out->load_ns = load_ns;
    cJSON_AddNumberToObject(mem, "probe_ns", probe_ns);
    cJSON_AddNumberToObject(mem, "ctx_ns", ctx_ns);
    cJSON_AddNumberToObject(mem, "load_ns", (double)load_ns);
    out->json = mem;
    return 0;
}

int mem_run_probe(const struct mem_run_params *p, enum mem_probe_kind kind, struct mem_probe *out,
                  enum bench_status *status, char *err)
{
    memset(out, 0, sizeof(*out));
    struct runner rn;
    struct engine_model_params mp = p->mp;
    mp.no_alloc = kind == MEM_PROBE_DRY;
    struct work_load wl = {0, 0};
    runner_init(&rn, p->model, &mp, &wl, p->verbose, p->timeout_s);
    int rc = -1;
    if (runner_ensure(&rn, status, err) == 0) {
        struct work_test t;
        memset(&t, 0, sizeof(t));
        t.kind = WORK_PROBE;
        t.cp = p->cp;
        t.pt.reps = 1;
        t.pt.seed = p->seed;
        t.probe_fill = kind == MEM_PROBE_FILL || kind == MEM_PROBE_DEPTH;
        t.probe_occupy = kind == MEM_PROBE_DEPTH;
        cJSON *req = proto_run_req(&t), *resp = NULL;
        rc = runner_call(&rn, req, &resp, status, err);
        cJSON_Delete(req);
        if (rc == 0 && (rc = take_probe(resp, rn.info.load_ns, out, err)) < 0)
            *status = BENCH_STATUS_ERROR; /* a malformed answer */
        cJSON_Delete(resp);
    }
    runner_release(&rn);
    return rc;
}

uint64_t mem_probe_total(const struct mem_probe *pr, const char *dev)
{
    uint64_t t = 0;
    for (int i = 0; i < pr->bufs.n; i++) {
        const struct engine_mem_buf *b = &pr->bufs.b[i];
        if (!dev || !strcmp(b->dev, dev))
            t += b->model + b->context + b->compute + b->output;
    }
    return t;
}

uint64_t mem_probe_gpu_used(const struct mem_probe *pr)
{
    double used = 0;
    for (int i = 0; i < pr->n_dev; i++) {
        if (!pr->dev[i].gpu)
            continue;
        for (int j = 0; j < pr->n_dev_before; j++)
            if (!strcmp(pr->dev[i].name, pr->dev_before[j].name))
                used += (double)pr->dev_before[j].free - (double)pr->dev[i].free;
    }
    return used > 0 ? (uint64_t)used : 0;
}

int mem_run(const struct mem_run_params *p, const char *const *models, int n,
            const struct mem_run_want *w, const struct mem_run_events *ev, struct mem_model *m,
            char *err)
{
    struct mem_run_params q = *p;
    for (int k = 0; k < n; k++) {
        q.model = models[k];
        int rc = mem_run_estimate(&q, &m[k], err);
        if (rc)
            return rc;
        if (ev && ev->on_estimate)
            ev->on_estimate(&m[k], ev->ud);
        m[k].no_data = m[k].header_only && (w->measure || w->dry) && !m[k].other_hw[0];
        if (m[k].no_data)
            snprintf(m[k].other_hw, sizeof(m[k].other_hw), "%s",
                     m[k].f->data_absent ? "a header-only file, its tensor data absent"
                                         : "not downloaded, only its header read");
        if (w->measure && m[k].no_data) {
            set_err(err, "--measure loads the model on this machine, '%s' is %s", models[k],
                    m[k].other_hw);
            return QB_EXIT_USAGE;
        }
        if (w->measure && m[k].other_hw[0]) {
            set_err(err,
                    "--measure loads the model on this machine, the estimate is for other "
                    "hardware (%s)",
                    m[k].other_hw);
            return QB_EXIT_USAGE;
        }
    }
    int ret = 0;
    enum bench_status st;
    for (int k = 0; k < n && (w->dry || w->measure); k++) {
        q.model = models[k];
        /* llama.cpp's dry run places on this machine's devices: not comparable with an
         * estimate for others (n/a, with a note) */
        if (w->dry && !m[k].other_hw[0]) {
            m[k].have_dry = mem_run_probe(&q, MEM_PROBE_DRY, &m[k].dry, &st, m[k].dry_err) == 0;
            if (!m[k].have_dry)
                ret = QB_EXIT_PARTIAL;
        }
        if (w->measure) {
            enum mem_probe_kind kind = w->fill ? MEM_PROBE_FILL : MEM_PROBE_LOAD;
            m[k].have_meas = mem_run_probe(&q, kind, &m[k].meas, &st, m[k].meas_err) == 0;
            m[k].meas_status = m[k].have_meas ? BENCH_STATUS_OK : st;
            if (!m[k].have_meas)
                ret = QB_EXIT_PARTIAL;
        }
    }
    if (w->budget)
        mem_run_budget(m, n, w->budget);
    return ret;
}

const char *mem_model_other_hw_note(const struct mem_model *m)
{
    static char note[QB_ERR_LEN + 160];
    if (m->no_data) {
        snprintf(note, sizeof(note),
                 "the model's tensor data is not on this machine (%s); llama.cpp's dry run and "
                 "--measure need the whole file",
                 m->other_hw);
        return note;
    }
    snprintf(note, sizeof(note),
             "the estimate is for other hardware (%s); llama.cpp's dry run and --measure can "
             "only place on this machine's devices",
             m->other_hw);
    return note;
}

const char *mem_model_budget_dev(const struct mem_model *m)
{
    return m->mp.n_gpus > 0 ? "CUDA0" : "CPU";
}

uint64_t mem_models_need(const struct mem_model *m, int n)
{
    uint64_t sum = 0;
    for (int k = 0; k < n; k++)
        sum += mem_plan(&m[k].est, mem_model_budget_dev(&m[k]));
    return sum;
}

bool mem_model_fits(const struct mem_model *m, uint32_t n_ctx, uint64_t extra, uint64_t limit)
{
    struct mem_params p = m->mp;
    struct mem_estimate e;
    char err[QB_ERR_LEN];
    p.n_ctx = n_ctx;
    return mem_estimate(m->f, &p, &e, err) == 0 &&
           mem_plan(&e, mem_model_budget_dev(m)) + extra <= limit;
}

/* Whether n_seq sequences of ctx_seq tokens each (n_ctx = n_seq * ctx_seq, as llama.cpp
 * divides n_ctx among the sequences) fit limit beside extra bytes */
static bool np_fits(const struct mem_model *m, uint32_t n_seq, uint32_t ctx_seq, uint64_t extra,
                    uint64_t limit)
{
    struct mem_params p = m->mp;
    struct mem_estimate e;
    char err[QB_ERR_LEN];
    p.n_seq = n_seq;
    p.n_ctx = n_seq * ctx_seq;
    return mem_estimate(m->f, &p, &e, err) == 0 &&
           mem_plan(&e, mem_model_budget_dev(m)) + extra <= limit;
}

void mem_model_fit_np(struct mem_model *m, uint64_t extra, uint64_t limit)
{
    /* the context per sequence asked: -c over -np (llama.cpp's n_ctx_seq), at most the
     * training context (a sequence beyond it is one the model was not trained for) */
    uint32_t seq = m->est.n_ctx_seq, train = m->est.n_ctx_train;
    m->fit_np_capped = train && seq > train;
    if (m->fit_np_capped)
        seq = train;
    m->fit_np_ctx = seq;
    /* the largest n_seq up to llama.cpp's LLAMA_MAX_SEQ: the plan grows with n_seq, so
     * the first that does not fit ends the search (a bisection over 1..256) */
    uint32_t lo = 0, hi = MEM_MAX_SEQ + 1; /* lo fits (0: none), hi does not */
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (np_fits(m, mid, seq, extra, limit))
            lo = mid;
        else
            hi = mid;
    }
    m->fit_np = lo;
}

uint32_t mem_model_fit(const struct mem_model *m, uint32_t step, uint32_t hi, uint64_t extra,
                       uint64_t limit)
{
    uint32_t lo = 0; /* in steps: lo fits (0 = none), hi does not */
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (mem_model_fits(m, mid * step, extra, limit))
            lo = mid;
        else
            hi = mid;
    }
    return lo * step;
}

void mem_run_budget(struct mem_model *m, int n, uint64_t budget)
{
    for (int k = 0; k < n; k++) {
        uint64_t others = mem_models_need(m, n) - mem_plan(&m[k].est, mem_model_budget_dev(&m[k]));
        mem_model_fit_np(&m[k], others, budget);
        /* the largest multiple of 256 whose estimate fits beside the others, up to the
         * model's training context: llama.cpp warns beyond it and the model was not
         * trained for it (a 4096 model "fitting" 12 million tokens answers nothing) */
        uint32_t hi = 1u << 24, train = m[k].est.n_ctx_train;
        m[k].fit_capped = false;
        if (train) {
            if (mem_model_fits(&m[k], train, others, budget)) {
                m[k].fit_ctx = train;
                m[k].fit_capped = true;
                continue;
            }
            hi = (train + 255) / 256 * 256; /* padded as llama.cpp: does not fit either */
        }
        m[k].fit_ctx = mem_model_fit(&m[k], 256, hi / 256, others, budget);
    }
}

void mem_probe_release(struct mem_probe *pr)
{
    cJSON_Delete(pr->json);
    pr->json = NULL;
}

void mem_model_release(struct mem_model *m)
{
    gf_free(m->f);
    mem_probe_release(&m->dry);
    mem_probe_release(&m->meas);
    memset(m, 0, sizeof(*m));
}

cJSON *mem_estimate_json(const struct mem_estimate *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n_ctx", e->n_ctx);
    cJSON_AddNumberToObject(o, "n_ctx_seq", e->n_ctx_seq);
    cJSON_AddNumberToObject(o, "n_ctx_train", e->n_ctx_train);
    cJSON_AddBoolToObject(o, "flash_attn", e->flash_attn);
    cJSON_AddNumberToObject(o, "kv_bytes_per_cell", (double)e->kv_per_cell);
    cJSON *parts = cJSON_AddArrayToObject(o, "parts");
    for (int i = 0; i < e->n; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "buft", e->p[i].buft);
        cJSON_AddStringToObject(p, "dev", e->p[i].dev);
        cJSON_AddNumberToObject(p, "model", (double)e->p[i].model);
        cJSON_AddNumberToObject(p, "context", (double)e->p[i].context);
        cJSON_AddNumberToObject(p, "compute", (double)e->p[i].compute);
        cJSON_AddNumberToObject(p, "output", (double)e->p[i].output);
        cJSON_AddItemToArray(parts, p);
    }
    cJSON *devs = cJSON_AddArrayToObject(o, "devices");
    char seen[MEM_MAX_PARTS][32];
    int ns = 0;
    for (int i = 0; i < e->n; i++) {
        int j;
        for (j = 0; j < ns && strcmp(seen[j], e->p[i].dev); j++)
            ;
        if (j < ns)
            continue;
        snprintf(seen[ns++], 32, "%s", e->p[i].dev);
        uint64_t w = 0, kv = 0, c = 0, out = 0;
        for (int k = 0; k < e->n; k++)
            if (!strcmp(e->p[k].dev, e->p[i].dev)) {
                w += e->p[k].model;
                kv += e->p[k].context;
                c += e->p[k].compute;
                out += e->p[k].output;
            }
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "device", e->p[i].dev);
        cJSON_AddNumberToObject(d, "weights", (double)w);
        cJSON_AddNumberToObject(d, "kv", (double)kv);
        cJSON_AddNumberToObject(d, "compute", (double)c);
        cJSON_AddNumberToObject(d, "output", (double)out);
        cJSON_AddNumberToObject(d, "total", (double)(w + kv + c + out));
        cJSON_AddItemToArray(devs, d);
    }
    cJSON_AddNumberToObject(o, "total_bytes", (double)mem_total(e, NULL));
    cJSON *bs = cJSON_AddArrayToObject(o, "bounds");
    for (int i = 0; i < e->n_bound; i++) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "device", e->bound[i].dev);
        cJSON_AddNumberToObject(b, "bytes", (double)e->bound[i].bytes);
        cJSON_AddStringToObject(b, "why", e->bound[i].why);
        cJSON_AddItemToArray(bs, b);
    }
    /* the estimate plus its bounds: what a budget is checked against */
    cJSON_AddNumberToObject(o, "plan_bytes", (double)mem_plan(e, NULL));
    return o;
}

cJSON *mem_model_row_json(const struct mem_run_params *p, const struct mem_model *m)
{
    cJSON *row = cJSON_CreateObject();
    char qid[160], qerr[QB_ERR_LEN];
    cJSON_AddStringToObject(row, "model_filename", m->path);
    cJSON_AddStringToObject(row, "model_id", file_quick_id(m->path, qid, qerr) == 0 ? qid : "");
    row_settings_json(&p->mp, &p->cp, 1, p->seed, row);
    /* the KV streams: settings of the estimate the table's row settings do not carry */
    cJSON_AddNumberToObject(row, "n_seq", p->cp.n_seq_max);
    cJSON_AddBoolToObject(row, "kv_unified", p->cp.kv_unified);
    cJSON_AddStringToObject(row, "status", bench_status_name(m->meas_status));
    cJSON_AddStringToObject(row, "error", m->meas_err);
    cJSON_AddItemToObject(row, "estimate", mem_estimate_json(&m->est));
    /* flat, as rows of mem -o json imported carry it (what compare reads) */
    cJSON_AddNumberToObject(row, "total_bytes", (double)mem_total(&m->est, NULL));
    cJSON_AddNumberToObject(row, "fit_ctx", m->fit_ctx);
    cJSON_AddBoolToObject(row, "fit_ctx_capped", m->fit_capped);
    if (m->have_dry)
        cJSON_AddItemToObject(row, "dry_run", cJSON_Duplicate(m->dry.json, 1));
    else if (m->dry_err[0])
        cJSON_AddStringToObject(row, "dry_run_error", m->dry_err);
    if (m->have_meas)
        cJSON_AddItemToObject(row, "measured", cJSON_Duplicate(m->meas.json, 1));
    /* the measurement's peaks flat, for tables; GPU bytes as every other row counts them */
    struct mem_summary ms;
    mem_summary_from(m->have_meas ? m->meas.json : NULL, &ms);
    cJSON_AddNumberToObject(row, "rss_peak_bytes", m->have_meas ? (double)m->meas.rss_peak : 0);
    cJSON_AddNumberToObject(row, "mem_gpu_bytes", (double)ms.gpu);
    cJSON_AddNumberToObject(row, "load_ns", m->have_meas ? (double)m->meas.load_ns : 0);
    return row;
}
