/* Shared parts of mem and ctxmax (see memcmd.h). */
#include "memcmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../report/table.h"
#include "../run/proto.h"
#include "../run/runner.h"
#include "../util/json.h"
#include "../util/log.h"
#include "cmd.h"

void memcmd_init(struct memcmd *mc)
{
    mc->n_seq = 1;
    mc->kv_unified = false;
    mc->gpus = -1;
    mc->devices[0] = '\0';
}

int memcmd_flag(struct memcmd *mc, const char *a, const char *v, bool *used_value, char *err)
{
    *used_value = false;
    if (!strcmp(a, "--kv-unified")) {
        mc->kv_unified = true;
        return 1;
    }
    bool np = !strcmp(a, "-np") || !strcmp(a, "--parallel");
    bool dev = !strcmp(a, "-dev") || !strcmp(a, "--device");
    if (!np && !dev && strcmp(a, "--gpus"))
        return 0;
    if (!v)
        return set_err(err, "%s needs a value", a);
    *used_value = true;
    if (dev) {
        if (!v[0] || strspn(v, ",/") == strlen(v) || strlen(v) >= sizeof(mc->devices))
            return set_err(err,
                           "invalid value '%s' for %s (expected a device list such as "
                           "CUDA0,CUDA1, or none)",
                           v, a);
        snprintf(mc->devices, sizeof(mc->devices), "%s", v);
        return 1;
    }
    int x;
    if (np) {
        if (parse_int(v, 1, 4096, &x) < 0)
            return set_err(err, "invalid value '%s' for %s (expected an integer in 1..4096)", v, a);
        mc->n_seq = x;
    } else {
        if (parse_int(v, 0, MEM_MAX_GPUS, &x) < 0)
            return set_err(err, "invalid value '%s' for %s (expected an integer in 0..%d)", v, a,
                           MEM_MAX_GPUS);
        mc->gpus = x;
    }
    return 1;
}

/* devices an -dev list names ("CUDA0,CUDA1" or "CUDA0/CUDA1"); 0 for "" and "none" */
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

void memcmd_params(const struct memcmd *mc, const struct single_opts *so, struct mem_params *mp)
{
    mem_params_default(mp);
    int n_gpus;
    bool rp, rp512;
    engine_host_caps(&n_gpus, &rp, &rp512);
    int n_dev = dev_count(mc->devices);
    mp->n_gpus = mc->gpus >= 0 ? mc->gpus : n_dev ? n_dev : n_gpus;
    if (!strcmp(mc->devices, "none"))
        mp->n_gpus = 0;
    /* llama.cpp adds the CPU's extra buffer types (repacking) only when no GPU device is
     * present (make_cpu_buft_list); seen on an H100: no CPU_REPACK buffer */
    mp->repack = rp && mp->n_gpus == 0;
    mp->repack_avx512 = rp512 && mp->n_gpus == 0;
    mp->n_gpu_layers = so->mp.n_gpu_layers;
    for (int i = 0; i < MEM_MAX_GPUS; i++)
        mp->split[i] = so->mp.tensor_split[i];
    mp->n_ctx = so->cp.n_ctx;
    mp->n_batch = so->cp.n_batch;
    mp->n_ubatch = so->cp.n_ubatch;
    mp->n_seq = (uint32_t)mc->n_seq;
    mp->kv_unified = mc->kv_unified;
    snprintf(mp->type_k, sizeof(mp->type_k), "%s", so->cp.type_k);
    snprintf(mp->type_v, sizeof(mp->type_v), "%s", so->cp.type_v);
    mp->flash_attn = so->cp.flash_attn;
    snprintf(mp->overrides, sizeof(mp->overrides), "%s", so->mp.overrides);
    mp->n_cpu_moe = so->mp.n_cpu_moe;
    mp->no_kv_offload = so->cp.no_kv_offload;
    mp->use_mmap = so->mp.use_mmap;
}

/* Why the estimate is not for this machine: --gpus other than the GPUs it has, or -dev
 * naming a device it has not ("" when it is for this machine) */
static void other_hardware(const struct memcmd *mc, char *why, size_t n)
{
    struct engine_dev_mem d[ENGINE_MAX_DEVICES];
    int nd = engine_devices_memory(d, ENGINE_MAX_DEVICES), n_gpus = 0;
    for (int i = 0; i < nd; i++)
        n_gpus += d[i].gpu;
    why[0] = '\0';
    if (mc->gpus >= 0 && mc->gpus != n_gpus) {
        snprintf(why, n, "--gpus %d, and this machine has %d GPU%s", mc->gpus, n_gpus,
                 n_gpus == 1 ? "" : "s");
        return;
    }
    const char *list = mc->devices;
    if (!list[0] || !strcmp(list, "none"))
        return;
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, ",/");
        int i;
        for (i = 0; i < nd; i++)
            if (d[i].gpu && strlen(d[i].name) == k && !strncmp(d[i].name, p, k))
                break;
        if (k > 0 && i == nd) {
            snprintf(why, n, "-dev %s, and this machine has no device '%.*s'", list, (int)k, p);
            return;
        }
        p += k;
        if (*p)
            p++;
    }
}

int memcmd_estimate(const struct memcmd *mc, const struct single_opts *so, struct memcmd_model *m,
                    const char *cmd)
{
    char err[QB_ERR_LEN];
    m->path = so->model;
    if (!m->f && gf_read_file(so->model, &m->f, err) < 0) {
        error("%s", err);
        return QB_EXIT_INPUT;
    }
    memcmd_params(mc, so, &m->mp);
    other_hardware(mc, m->other_hw, sizeof(m->other_hw));
    int rc = mem_estimate(m->f, &m->mp, &m->est, err);
    if (rc == -2)
        return usage_error(cmd, "%s", err);
    if (rc < 0) {
        error("'%s': %s", so->model, err);
        return QB_EXIT_INPUT;
    }
    if (m->est.unmatched[0])
        log_printf("quantbench: warning: -ot pattern '%s' matches no tensor of '%s'\n",
                   m->est.unmatched, so->model);
    return 0;
}

int memcmd_probe(const struct memcmd *mc, const struct single_opts *so, bool dry, bool fill,
                 cJSON **mem, char *err)
{
    *mem = NULL;
    struct runner rn;
    struct engine_model_params mp = so->mp;
    snprintf(mp.devices, sizeof(mp.devices), "%s", mc->devices);
    mp.no_alloc = dry;
    struct work_load wl = {0, 0};
    runner_init(&rn, so->model, &mp, &wl, so->verbose, so->timeout_s);
    enum bench_status st;
    int rc = -1;
    if (runner_ensure(&rn, &st, err) == 0) {
        struct work_test t;
        memset(&t, 0, sizeof(t));
        t.kind = WORK_PROBE;
        t.cp = so->cp;
        t.cp.n_seq_max = (uint32_t)mc->n_seq;
        t.cp.kv_unified = mc->kv_unified;
        t.pt.reps = 1;
        t.pt.seed = so->seed;
        t.probe_fill = fill && !dry;
        cJSON *req = proto_run_req(&t), *resp = NULL;
        rc = runner_call(&rn, req, &resp, &st, err);
        cJSON_Delete(req);
        if (rc == 0) {
            *mem = cJSON_DetachItemFromObject(resp, "mem");
            if (*mem) {
                cJSON_AddNumberToObject(*mem, "probe_ns", json_num(resp, "probe_ns"));
                cJSON_AddNumberToObject(*mem, "ctx_ns", json_num(resp, "ctx_ns"));
                cJSON_AddNumberToObject(*mem, "load_ns", (double)rn.info.load_ns);
            }
            cJSON_Delete(resp);
        }
    }
    runner_release(&rn);
    return rc;
}

uint64_t memcmd_measured_total(const cJSON *mem, const char *dev)
{
    const cJSON *b;
    uint64_t t = 0;
    cJSON_ArrayForEach (b, cJSON_GetObjectItemCaseSensitive(mem, "buffers")) {
        char d[32];
        json_copy_str(d, sizeof(d), b, "dev");
        if (dev && strcmp(d, dev))
            continue;
        t += (uint64_t)(json_num(b, "model") + json_num(b, "context") + json_num(b, "compute") +
                        json_num(b, "output"));
    }
    return t;
}

static const cJSON *find_buf(const cJSON *mem, const char *buft)
{
    const cJSON *b;
    cJSON_ArrayForEach (b, cJSON_GetObjectItemCaseSensitive(mem, "buffers")) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(b, "buft");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, buft))
            return b;
    }
    return NULL;
}

/* the devices of an estimate and measurements, in order of first appearance */
static int devices(const struct memcmd_model *m, char names[][32], int max)
{
    int n = 0;
    const cJSON *mems[2] = {m->dry, m->meas};
    for (int i = 0; i <= m->est.n + 16 * 2 && n < max; i++) {
        const char *d = NULL;
        if (i < m->est.n) {
            d = m->est.p[i].dev;
        } else {
            int k = (i - m->est.n) / 16, j = (i - m->est.n) % 16;
            if (k > 1)
                break;
            const cJSON *b =
                cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(mems[k], "buffers"), j);
            const cJSON *dv = cJSON_GetObjectItemCaseSensitive(b, "dev");
            d = cJSON_IsString(dv) ? dv->valuestring : NULL;
        }
        if (!d)
            continue;
        int j;
        for (j = 0; j < n && strcmp(names[j], d); j++)
            ;
        if (j == n)
            snprintf(names[n++], 32, "%s", d);
    }
    return n;
}

cJSON *memcmd_estimate_json(const struct mem_estimate *e)
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
    return o;
}

const char *memcmd_other_hw_note(const struct memcmd_model *m)
{
    static char note[QB_ERR_LEN + 160];
    snprintf(note, sizeof(note),
             "the estimate is for other hardware (%s); llama.cpp's dry run and --measure can "
             "only place on this machine's devices",
             m->other_hw);
    return note;
}

/* the device a budget applies to: the first GPU when there is one, else the host */
static const char *budget_dev(const struct memcmd_model *m)
{
    return m->mp.n_gpus > 0 ? "CUDA0" : "CPU";
}

bool memcmd_fits(const struct memcmd_model *m, int n, uint64_t budget)
{
    uint64_t sum = 0;
    for (int k = 0; k < n; k++)
        sum += mem_total(&m[k].est, budget_dev(&m[k]));
    return sum <= budget;
}

void memcmd_budget(const struct memcmd *mc, const struct single_opts *so, struct memcmd_model *m,
                   int n, uint64_t budget)
{
    (void)mc;
    (void)so;
    for (int k = 0; k < n; k++) {
        uint64_t others = 0;
        for (int j = 0; j < n; j++)
            if (j != k)
                others += mem_total(&m[j].est, budget_dev(&m[j]));
        /* the largest multiple of 256 whose estimate fits beside the others, up to the
         * model's training context: llama.cpp warns beyond it and the model was not
         * trained for it (a 4096 model "fitting" 12 million tokens answers nothing) */
        struct mem_params p = m[k].mp;
        uint32_t lo = 0, hi = 1u << 24, train = m[k].est.n_ctx_train;
        char err[QB_ERR_LEN];
        m[k].fit_capped = false;
        if (train) {
            struct mem_estimate e;
            p.n_ctx = train;
            if (mem_estimate(m[k].f, &p, &e, err) == 0 &&
                mem_total(&e, budget_dev(&m[k])) + others <= budget) {
                m[k].fit_ctx = train;
                m[k].fit_capped = true;
                continue;
            }
            hi = (train + 255) / 256 * 256; /* padded as llama.cpp: does not fit either */
        }
        while (hi - lo > 256) {
            uint32_t mid = (lo + hi) / 2 / 256 * 256;
            if (mid <= lo)
                break;
            struct mem_estimate e;
            p.n_ctx = mid;
            if (mem_estimate(m[k].f, &p, &e, err) == 0 &&
                mem_total(&e, budget_dev(&m[k])) + others <= budget)
                lo = mid;
            else
                hi = mid;
        }
        m[k].fit_ctx = lo;
    }
}

static void mib(char *buf, size_t n, uint64_t b)
{
    snprintf(buf, n, "%.2f", (double)b / 1048576.0);
}

/* The buffer types on device dev, at most max: the estimate's, then any only the dry run or
 * the measurement has */
static int device_bufts(const struct memcmd_model *m, const char *dev, char (*bufts)[32], int max)
{
    const struct mem_estimate *e = &m->est;
    int nb = 0;
    for (int i = 0; i < e->n && nb < max; i++)
        if (!strcmp(e->p[i].dev, dev))
            snprintf(bufts[nb++], 32, "%s", e->p[i].buft);
    const cJSON *mems[2] = {m->dry, m->meas}, *b;
    for (int k = 0; k < 2; k++)
        cJSON_ArrayForEach (b, cJSON_GetObjectItemCaseSensitive(mems[k], "buffers")) {
            char bd[32], bn[32];
            json_copy_str(bd, sizeof(bd), b, "dev");
            json_copy_str(bn, sizeof(bn), b, "buft");
            int j;
            for (j = 0; j < nb && strcmp(bufts[j], bn); j++)
                ;
            if (!strcmp(bd, dev) && j == nb && nb < max)
                snprintf(bufts[nb++], 32, "%s", bn);
        }
    return nb;
}

static void md_model(const struct memcmd_model *m)
{
    const struct mem_estimate *e = &m->est;
    char *path = str_escape(m->path, 0); /* a file name is outside text */
    printf("## %s\n\nn_ctx %u (%u per sequence), n_seq %u, n_ubatch %u, K %s, V %s, flash "
           "attention %s, %s\n\n",
           path, e->n_ctx, e->n_ctx_seq, m->mp.n_seq, m->mp.n_ubatch, m->mp.type_k, m->mp.type_v,
           e->flash_attn ? "on" : "off", m->mp.n_gpus ? "GPU offload per -ngl" : "CPU only");
    printf("| device | buffer | weights MiB | KV MiB | compute MiB | output MiB | estimate MiB | "
           "dry run MiB | measured MiB |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    char devs[16][32];
    int nd = devices(m, devs, 16);
    for (int d = 0; d < nd; d++) {
        /* buffer types on this device: from the estimate, then any only measured */
        char bufts[24][32];
        const cJSON *mems[2] = {m->dry, m->meas};
        int nb = device_bufts(m, devs[d], bufts, 24);
        for (int j = 0; j < nb; j++) {
            const struct mem_part *p = NULL;
            for (int i = 0; i < e->n; i++)
                if (!strcmp(e->p[i].buft, bufts[j]))
                    p = &e->p[i];
            char c[6][32];
            if (p) {
                mib(c[0], 32, p->model);
                mib(c[1], 32, p->context);
                mib(c[2], 32, p->compute);
                mib(c[3], 32, p->output);
                mib(c[4], 32, p->model + p->context + p->compute + p->output);
            } else {
                for (int k = 0; k < 5; k++)
                    snprintf(c[k], 32, "-");
            }
            printf("| %s | %s | %s | %s | %s | %s | %s |", devs[d], bufts[j], c[0], c[1], c[2],
                   c[3], c[4]);
            for (int k = 0; k < 2; k++) {
                const cJSON *mb = find_buf(mems[k], bufts[j]);
                if (!mems[k] || !mb) {
                    printf(" %s |", mems[k] ? "0.00" : k == 0 && m->other_hw[0] ? "n/a" : "-");
                    continue;
                }
                mib(c[5], 32,
                    (uint64_t)(json_num(mb, "model") + json_num(mb, "context") +
                               json_num(mb, "compute") + json_num(mb, "output")));
                printf(" %s |", c[5]);
            }
            printf("\n");
        }
        char t[3][32];
        mib(t[0], 32, mem_total(e, devs[d]));
        printf("| %s | **total** | | | | | **%s** |", devs[d], t[0]);
        for (int k = 0; k < 2; k++) {
            if (mems[k])
                mib(t[1], 32, memcmd_measured_total(mems[k], devs[d]));
            printf(" %s |", mems[k] ? t[1] : k == 0 && m->other_hw[0] ? "n/a" : "-");
        }
        printf("\n");
    }
    if (m->meas) {
        printf("\nmeasured: peak RSS %.2f MiB (RSS %.2f MiB: anon %.2f, file %.2f)",
               json_num(m->meas, "rss_peak") / 1048576.0, json_num(m->meas, "rss") / 1048576.0,
               json_num(m->meas, "rss_anon") / 1048576.0,
               json_num(m->meas, "rss_file") / 1048576.0);
        const cJSON *d;
        cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive(m->meas, "devices"))
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "gpu"))) {
                char nm[32];
                json_copy_str(nm, sizeof(nm), d, "name");
                printf("; %s free %.2f of %.2f MiB", nm, json_num(d, "free") / 1048576.0,
                       json_num(d, "total") / 1048576.0);
            }
        printf("\n");
    }
    if (m->other_hw[0])
        printf("\ndry run: n/a, %s\n", memcmd_other_hw_note(m));
    if (m->dry_err[0]) {
        fputs("\ndry run failed: ", stdout);
        fput_escaped(m->dry_err, 0, stdout);
        fputc('\n', stdout);
    }
    if (m->meas_err[0]) {
        fputs("\nmeasurement failed: ", stdout);
        fput_escaped(m->meas_err, 0, stdout);
        fputc('\n', stdout);
    }
    printf("\n");
    free(path);
}

/* csv: md_model's table of every model, the model first; with a budget the largest context
 * that fits beside the others last (marked "(training context)" as in md); what md says in
 * prose about a model (a dry run n/a or failed, a failed measurement) goes to stderr */
static void csv_models(const struct memcmd_model *m, int n, uint64_t budget)
{
    static const char *const heads[] = {"model",
                                        "device",
                                        "buffer",
                                        "weights MiB",
                                        "KV MiB",
                                        "compute MiB",
                                        "output MiB",
                                        "estimate MiB",
                                        "dry run MiB",
                                        "measured MiB",
                                        "largest n_ctx that fits with the others"};
    struct text_table t;
    text_table_begin(&t, stdout, BENCH_FMT_CSV, heads, NULL, budget ? 11 : 10);
    for (int k = 0; k < n; k++) {
        const struct mem_estimate *e = &m[k].est;
        const cJSON *mems[2] = {m[k].dry, m[k].meas};
        char devs[16][32], fit[48];
        snprintf(fit, sizeof(fit), "%u%s", m[k].fit_ctx,
                 m[k].fit_capped ? " (training context)" : "");
        int nd = devices(&m[k], devs, 16);
        for (int d = 0; d < nd; d++) {
            /* this device's buffer types: the estimate's, then any only measured */
            char bufts[25][32];
            int nb = device_bufts(&m[k], devs[d], bufts, 24);
            snprintf(bufts[nb++], 32, "total");
            for (int j = 0; j < nb; j++) {
                bool total = j == nb - 1;
                const struct mem_part *p = NULL;
                for (int i = 0; !total && i < e->n; i++)
                    if (!strcmp(e->p[i].buft, bufts[j]))
                        p = &e->p[i];
                char c[7][32];
                for (int i = 0; i < 7; i++)
                    c[i][0] = '\0';
                if (p) {
                    mib(c[0], 32, p->model);
                    mib(c[1], 32, p->context);
                    mib(c[2], 32, p->compute);
                    mib(c[3], 32, p->output);
                    mib(c[4], 32, p->model + p->context + p->compute + p->output);
                } else if (total) {
                    mib(c[4], 32, mem_total(e, devs[d]));
                } else {
                    for (int i = 0; i < 5; i++)
                        snprintf(c[i], 32, "-");
                }
                for (int i = 0; i < 2; i++) {
                    const cJSON *mb = total ? NULL : find_buf(mems[i], bufts[j]);
                    if (!mems[i])
                        snprintf(c[5 + i], 32, "%s", i == 0 && m[k].other_hw[0] ? "n/a" : "-");
                    else if (total)
                        mib(c[5 + i], 32, memcmd_measured_total(mems[i], devs[d]));
                    else
                        mib(c[5 + i], 32,
                            mb ? (uint64_t)(json_num(mb, "model") + json_num(mb, "context") +
                                            json_num(mb, "compute") + json_num(mb, "output"))
                               : 0);
                }
                const char *cells[] = {m[k].path, devs[d], bufts[j], c[0], c[1], c[2],
                                       c[3],      c[4],    c[5],     c[6], fit};
                text_table_row(&t, cells);
            }
        }
        if (m[k].other_hw[0])
            log_printf("quantbench: warning: '%s': dry run: n/a, %s\n", m[k].path,
                       memcmd_other_hw_note(&m[k]));
        if (m[k].dry_err[0])
            log_printf("quantbench: warning: '%s': dry run failed: %s\n", m[k].path, m[k].dry_err);
        if (m[k].meas_err[0])
            log_printf("quantbench: warning: '%s': measurement failed: %s\n", m[k].path,
                       m[k].meas_err);
    }
}

int memcmd_print(const struct memcmd *mc, const struct single_opts *so,
                 const struct memcmd_model *m, int n, uint64_t budget)
{
    (void)mc;
    if (so->fmt == BENCH_FMT_CSV) {
        csv_models(m, n, budget);
        return fflush(stdout) == 0 ? 0 : -1;
    }
    if (so->fmt == BENCH_FMT_JSON || so->fmt == BENCH_FMT_JSONL) {
        cJSON *root = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(root, "models");
        uint64_t sum = 0;
        for (int k = 0; k < n; k++) {
            cJSON *o = memcmd_estimate_json(&m[k].est);
            cJSON_AddStringToObject(o, "model", m[k].path);
            cJSON_AddNumberToObject(o, "n_seq", m[k].mp.n_seq);
            cJSON_AddNumberToObject(o, "n_ubatch", m[k].mp.n_ubatch);
            cJSON_AddStringToObject(o, "type_k", m[k].mp.type_k);
            cJSON_AddStringToObject(o, "type_v", m[k].mp.type_v);
            if (m[k].dry)
                cJSON_AddItemToObject(o, "dry_run", cJSON_Duplicate(m[k].dry, 1));
            else if (m[k].dry_err[0])
                cJSON_AddStringToObject(o, "dry_run_error", m[k].dry_err);
            else if (m[k].other_hw[0])
                cJSON_AddStringToObject(o, "dry_run_note", memcmd_other_hw_note(&m[k]));
            if (m[k].meas)
                cJSON_AddItemToObject(o, "measured", cJSON_Duplicate(m[k].meas, 1));
            else if (m[k].meas_err[0])
                cJSON_AddStringToObject(o, "measured_error", m[k].meas_err);
            if (budget) {
                cJSON_AddNumberToObject(o, "fit_ctx", m[k].fit_ctx);
                /* fit_ctx is the training context, and more would fit */
                cJSON_AddBoolToObject(o, "fit_ctx_capped", m[k].fit_capped);
            }
            sum += mem_total(&m[k].est, budget_dev(&m[k]));
            cJSON_AddItemToArray(arr, o);
        }
        if (budget) {
            cJSON *b = cJSON_AddObjectToObject(root, "budget");
            cJSON_AddNumberToObject(b, "bytes", (double)budget);
            cJSON_AddStringToObject(b, "device", n ? budget_dev(&m[0]) : "CPU");
            cJSON_AddNumberToObject(b, "need_bytes", (double)sum);
            cJSON_AddBoolToObject(b, "fits", sum <= budget);
            cJSON_AddNumberToObject(b, "left_bytes", sum <= budget ? (double)(budget - sum) : 0);
        }
        int rc = 0;
        if (so->fmt == BENCH_FMT_JSONL) { /* a line per model, then the budget's */
            const cJSON *it;
            cJSON_ArrayForEach (it, root) {
                const cJSON *line;
                if (cJSON_IsArray(it)) {
                    cJSON_ArrayForEach (line, it) {
                        char *s = cJSON_PrintUnformatted(line);
                        rc |= printf("%s\n", s) < 0 ? -1 : 0;
                        free(s);
                    }
                } else if (cJSON_IsObject(it)) {
                    cJSON *wrap = cJSON_CreateObject();
                    cJSON_AddItemReferenceToObject(wrap, it->string, (cJSON *)it);
                    char *s = cJSON_PrintUnformatted(wrap);
                    rc |= printf("%s\n", s) < 0 ? -1 : 0;
                    free(s);
                    cJSON_Delete(wrap);
                }
            }
        } else {
            char *s = cJSON_Print(root);
            rc = printf("%s\n", s) < 0 ? -1 : 0;
            free(s);
        }
        cJSON_Delete(root);
        return rc == 0 && fflush(stdout) == 0 ? 0 : -1;
    }
    for (int k = 0; k < n; k++)
        md_model(&m[k]);
    if (budget) {
        uint64_t sum = 0;
        for (int k = 0; k < n; k++)
            sum += mem_total(&m[k].est, budget_dev(&m[k]));
        printf("## budget %.2f MiB on %s\n\n", (double)budget / 1048576.0,
               n ? budget_dev(&m[0]) : "CPU");
        printf("together %.2f MiB: %s", (double)sum / 1048576.0,
               sum <= budget ? "fits" : "does NOT fit");
        if (sum <= budget)
            printf(", %.2f MiB left", (double)(budget - sum) / 1048576.0);
        printf(
            "\n\n| model | n_ctx | largest n_ctx that fits with the others |\n|---|---:|---:|\n");
        bool capped = false;
        for (int k = 0; k < n; k++) {
            fputs("| ", stdout);
            fput_escaped(m[k].path, STR_ESC_MD, stdout);
            printf(" | %u | %u%s |\n", m[k].est.n_ctx, m[k].fit_ctx,
                   m[k].fit_capped ? " (training context)" : "");
            capped |= m[k].fit_capped;
        }
        if (capped)
            printf("\n(training context): the model's own context length; more would fit, but "
                   "the model was not trained for it (llama.cpp warns)\n");
    }
    return fflush(stdout) == 0 ? 0 : -1;
}

void memcmd_model_release(struct memcmd_model *m)
{
    gf_free(m->f);
    cJSON_Delete(m->dry);
    cJSON_Delete(m->meas);
    memset(m, 0, sizeof(*m));
}
