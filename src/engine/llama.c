/* engine.h on llama.cpp: the only file that includes llama.h. It translates our
 * parameters into llama.cpp's, owns the model/context/threadpool lifetimes (context
 * before model), converts llama.cpp's return codes into messages, and routes
 * llama.cpp's log into ours. It does not time anything. */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <ggml-backend.h>
#include <ggml-cpu.h>
#include <ggml.h>
#include <llama.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../gguf/gguf.h"
#include "../gguf/imatrix.h"
#ifdef QB_HAVE_LLAMA_EXT
#include "engine_ext.h"
#endif
#include "../util/log.h"
#include "../util/util.h"

#ifndef QB_LLAMA_COMMIT
#define QB_LLAMA_COMMIT "unknown"
#endif
#ifndef QB_LLAMA_BUILD_NUMBER
#define QB_LLAMA_BUILD_NUMBER 0
#endif

struct engine {
    struct llama_model *model;
    struct llama_context *ctx;
    struct ggml_threadpool *tp;
    ggml_backend_dev_t devs[ENGINE_MAX_DEVICES + 1];
    struct llama_model_tensor_buft_override *ovr; /* NULL-pattern terminated */
    char **ovr_patterns;                          /* owned copies of the patterns */
    int n_ovr;
    struct llama_batch batch; /* reused by engine_decode_tokens */
    int batch_cap;
    float tensor_split[ENGINE_MAX_DEVICES];
    void (*progress)(float, void *);
    void *progress_ud;
    struct engine_mem logmem; /* from llama.cpp's "buffer size" log lines */
    struct imatrix *imx;      /* collecting an importance matrix into it (engine_imatrix_begin) */
    bool imx_output;          /* also output.weight */
    char imx_err[QB_ERR_LEN]; /* the first problem while collecting */
    uint8_t *imx_buf;         /* activations and expert ids copied from a device */
    size_t imx_cap;
    char *piece; /* engine_token_piece's text */
    int piece_cap;
};

/* the engine whose load or context creation is logging now (one per process) */
static struct engine *log_owner;

static struct engine_mem_buf *mem_buf(struct engine_mem *m, const char *buft)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->b[i].buft, buft) == 0)
            return &m->b[i];
    if (m->n == ENGINE_MAX_BUFS)
        return NULL;
    struct engine_mem_buf *b = &m->b[m->n++];
    memset(b, 0, sizeof(*b));
    snprintf(b->buft, sizeof(b->buft), "%s", buft);
    return b;
}

/* "load_tensors:   CPU_Mapped model buffer size =    61.30 MiB" and the KV, compute and
 * output lines of llama_kv_cache, sched_reserve and llama_context */
static void parse_buffer_line(const char *text)
{
    const char *p = strstr(text, " buffer size = ");
    if (!p || !log_owner)
        return;
    const char *kinds[] = {"model", "KV", "compute", "output"};
    int kind = -1;
    size_t kl = 0;
    for (int k = 0; k < 4; k++) {
        kl = strlen(kinds[k]);
        if ((size_t)(p - text) > kl && strncmp(p - kl, kinds[k], kl) == 0 &&
            p[-(long)kl - 1] == ' ') {
            kind = k;
            break;
        }
    }
    if (kind < 0)
        return;
    const char *end = p - kl - 1;
    while (end > text && end[-1] == ' ')
        end--;
    const char *start = end;
    while (start > text && start[-1] != ' ' && start[-1] != ':')
        start--;
    double mib = 0;
    if (end <= start || sscanf(p + strlen(" buffer size = "), "%lf", &mib) != 1)
        return;
    char name[32];
    snprintf(name, sizeof(name), "%.*s", (int)(end - start), start);
    struct engine_mem_buf *b = mem_buf(&log_owner->logmem, name);
    if (!b)
        return;
    uint64_t bytes = (uint64_t)(mib * 1024.0 * 1024.0 + 0.5);
    switch (kind) {
    case 0: b->model += bytes; break;
    case 1: b->context += bytes; break;
    case 2: b->compute = bytes; break;
    default: b->output = bytes; break;
    }
}

/* the kind of the last failure of an engine call (engine_last_error_kind) */
static enum qb_kind err_kind = QB_KIND_RUNTIME;

/* Every engine call fails through here: err filled, the kind RUNTIME; -1 */
static int fail(char *err, const char *fmt, ...) QB_FMT(2, 3);
static int fail(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, QB_ERR_LEN, fmt, ap);
    va_end(ap);
    err_kind = QB_KIND_RUNTIME;
    return -1;
}

enum qb_kind engine_last_error_kind(void)
{
    return err_kind;
}

void engine_clear_error_kind(void)
{
    err_kind = QB_KIND_RUNTIME;
}

static int log_verbosity;
/* the last cause of an error llama.cpp logged, to explain a NULL or failure it returns
 * (cleared by log_clear before each call that can fail) */
static char log_last_error[256];
static int log_errno;         /* errno when that error was logged */
static enum qb_kind log_kind; /* OOM once an error line said an allocation failed */
static bool log_write_failed; /* an error line said a file could not be written */
static enum ggml_log_level log_last = GGML_LOG_LEVEL_INFO;

static void log_clear(void)
{
    log_last_error[0] = '\0';
    log_errno = 0;
    log_kind = QB_KIND_RUNTIME;
    log_write_failed = false;
}

/* What one of llama.cpp's error lines says went wrong. Its errors come with no code (a
 * NULL model or context, a failed quantize), so this is the one place their words are
 * read: an allocation that failed ("failed to allocate", "unable to allocate", "out of
 * memory", "bad_alloc") makes log_kind QB_KIND_OOM; the C++ stream's words for a file it
 * could not write ("iostream error", "basic_ios") set log_write_failed. Both stay until
 * log_clear: a later, vaguer line does not undo them. */
static void note_error_line(const char *text)
{
    static const char *const oom[] = {"failed to allocate", "unable to allocate", "out of memory",
                                      "bad_alloc"};
    static const char *const write[] = {"iostream error", "basic_ios"};
    for (size_t i = 0; i < QB_ARRAY_LEN(oom); i++)
        if (strstr(text, oom[i]))
            log_kind = QB_KIND_OOM;
    for (size_t i = 0; i < QB_ARRAY_LEN(write); i++)
        if (strstr(text, write[i]))
            log_write_failed = true;
}

/* The cause in one of llama.cpp's error lines: the line as logged ("function: what"), or
 * for the wrappers that only say what failed ("llama_model_load: error loading model: X",
 * "llama_model_quantize: failed to quantize: X") just X; false for a line that says no
 * more than that ("llama_model_load_from_file_impl: failed to load model") or only draws a
 * box. llama.cpp logs the cause first and the wrapper last, so the last line alone would
 * say nothing. */
static bool error_cause(const char *text, char *out, size_t cap)
{
    const char *p = text, *after = text;
    size_t k = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    if (k && p[k] == ':' && p[k + 1] == ' ')
        after = p + k + 2;
    static const char *const wrap[] = {"error loading model: ", "failed to quantize: "};
    for (size_t i = 0; i < QB_ARRAY_LEN(wrap); i++)
        if (strncmp(after, wrap[i], strlen(wrap[i])) == 0)
            p = after + strlen(wrap[i]);
    static const char generic[] = "failed to load model";
    if (strncmp(after, generic, strlen(generic)) == 0 &&
        strspn(after + strlen(generic), "\r\n ") == strlen(after + strlen(generic)))
        return false;
    size_t n = strlen(p);
    while (n && (p[n - 1] == '\n' || p[n - 1] == ' ' || p[n - 1] == '\r'))
        n--;
    if (n == 0 || strcspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") >= n)
        return false;
    snprintf(out, cap, "%.*s", (int)n, p);
    return true;
}

static void log_cb(enum ggml_log_level level, const char *text, void *ud)
{
    (void)ud;
    int saved_errno = errno;
    bool cont = level == GGML_LOG_LEVEL_CONT;
    if (cont)
        level = log_last;
    else
        log_last = level;
    if (level == GGML_LOG_LEVEL_ERROR && !cont) {
        note_error_line(text);
        if (error_cause(text, log_last_error, sizeof(log_last_error)))
            log_errno = saved_errno;
    }
    if (level == GGML_LOG_LEVEL_INFO || level == GGML_LOG_LEVEL_DEBUG)
        parse_buffer_line(text);
    enum log_level ours;
    switch (level) {
    case GGML_LOG_LEVEL_ERROR: ours = LOG_LEVEL_ERROR; break;
    case GGML_LOG_LEVEL_WARN: ours = LOG_LEVEL_WARN; break;
    case GGML_LOG_LEVEL_INFO: ours = LOG_LEVEL_INFO; break;
    default: ours = LOG_LEVEL_DEBUG; break;
    }
    /* llama.cpp's info is chatty: show it only when asked twice (-v -v) */
    if (ours == LOG_LEVEL_INFO && log_verbosity < 2)
        return;
    if (ours == LOG_LEVEL_WARN && log_verbosity < 1)
        return;
    log_raw(ours <= LOG_LEVEL_WARN ? LOG_LEVEL_ERROR : ours, text);
}

void engine_global_init(int verbosity)
{
    log_verbosity = verbosity;
    llama_log_set(log_cb, NULL);
    ggml_backend_load_all();
    llama_backend_init();
}

void engine_numa_init(int strategy)
{
    if (strategy > 0)
        llama_numa_init((enum ggml_numa_strategy)strategy);
}

int engine_set_process_priority(int prio, char *err)
{
    static const int nice_of[] = {5, 0, -5, -10, -20}; /* low, normal, medium, high, rt */
    if (prio < -1 || prio > 3)
        return fail(err, "invalid priority %d", prio);
    if (prio == 0)
        return 0;
    if (setpriority(PRIO_PROCESS, 0, nice_of[prio + 1]) < 0)
        return fail(err, "cannot set process priority %d: %s", prio, strerror(errno));
    return 0;
}

struct engine_model_params engine_model_params_default(void)
{
    struct engine_model_params p;
    memset(&p, 0, sizeof(p));
    p.n_gpu_layers = -1;
    p.split_mode = ENGINE_SPLIT_LAYER;
    p.use_mmap = -1;
    return p;
}

struct engine_ctx_params engine_ctx_params_default(void)
{
    struct engine_ctx_params p;
    memset(&p, 0, sizeof(p));
    p.n_ctx = 4096;
    p.n_batch = 2048;
    p.n_ubatch = 512;
    p.n_seq_max = 1;
    p.flash_attn = -1;
    snprintf(p.type_k, sizeof(p.type_k), "f16");
    snprintf(p.type_v, sizeof(p.type_v), "f16");
    snprintf(p.cpu_mask, sizeof(p.cpu_mask), "0x0");
    p.n_threads = 4;
    p.n_threads_batch = 4;
    p.poll = 50;
    return p;
}

static void join_dev_descs(char *out, size_t n, int want_gpu)
{
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        enum ggml_backend_dev_type t = ggml_backend_dev_type(dev);
        int is_gpu = t == GGML_BACKEND_DEVICE_TYPE_GPU || t == GGML_BACKEND_DEVICE_TYPE_IGPU;
        int is_cpu = t == GGML_BACKEND_DEVICE_TYPE_CPU || t == GGML_BACKEND_DEVICE_TYPE_ACCEL;
        if ((want_gpu && !is_gpu) || (!want_gpu && !is_cpu))
            continue;
        int k = snprintf(out + used, n - used, "%s%s", used ? ", " : "",
                         ggml_backend_dev_description(dev));
        if (k < 0 || (size_t)k >= n - used)
            break;
        used += (size_t)k;
    }
}

void engine_build_info(struct engine_build_info *bi)
{
    memset(bi, 0, sizeof(*bi));
    snprintf(bi->version, sizeof(bi->version), "%s", llama_version());
    snprintf(bi->commit, sizeof(bi->commit), "%s", QB_LLAMA_COMMIT);
    bi->build_number = QB_LLAMA_BUILD_NUMBER;
    /* llama-bench's rule: every registered backend but CPU, or "CPU" alone */
    size_t used = 0;
    for (size_t i = 0; i < ggml_backend_reg_count(); i++) {
        const char *name = ggml_backend_reg_name(ggml_backend_reg_get(i));
        if (strcmp(name, "CPU") == 0)
            continue;
        if (strncmp(name, "RPC", 3) == 0 &&
            ggml_backend_reg_dev_count(ggml_backend_reg_get(i)) == 0)
            continue;
        int k = snprintf(bi->backends + used, sizeof(bi->backends) - used, "%s%s", used ? "," : "",
                         name);
        if (k < 0 || (size_t)k >= sizeof(bi->backends) - used)
            break;
        used += (size_t)k;
    }
    if (!used)
        snprintf(bi->backends, sizeof(bi->backends), "CPU");
    join_dev_descs(bi->cpu_info, sizeof(bi->cpu_info), 0);
    join_dev_descs(bi->gpu_info, sizeof(bi->gpu_info), 1);
    snprintf(bi->system_info, sizeof(bi->system_info), "%s", llama_print_system_info());
}

static bool progress_tramp(float p, void *ud)
{
    struct engine *e = ud;
    if (e->progress)
        e->progress(p, e->progress_ud);
    return true;
}

static int parse_devices(struct engine *e, const char *list, char *err)
{
    int n = 0;
    if (!*list)
        return 0;
    if (strcmp(list, "none") == 0) {
        e->devs[0] = NULL;
        return 1;
    }
    char *copy = xstrdup(list), *save = NULL;
    for (char *tok = strtok_r(copy, ",/", &save); tok; tok = strtok_r(NULL, ",/", &save)) {
        ggml_backend_dev_t dev = ggml_backend_dev_by_name(tok);
        if (!dev || ggml_backend_dev_type(dev) == GGML_BACKEND_DEVICE_TYPE_CPU) {
            fail(err, "unknown or non-offload device '%s'", tok);
            free(copy);
            return -1;
        }
        if (n == ENGINE_MAX_DEVICES) {
            fail(err, "too many devices in '%s'", list);
            free(copy);
            return -1;
        }
        e->devs[n++] = dev;
    }
    free(copy);
    e->devs[n] = NULL;
    return 1;
}

static ggml_backend_buffer_type_t buft_by_name(const char *name)
{
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        ggml_backend_buffer_type_t b = ggml_backend_dev_buffer_type(dev);
        if (strcasecmp(ggml_backend_buft_name(b), name) == 0 ||
            strcasecmp(ggml_backend_dev_name(dev), name) == 0)
            return b;
    }
    return NULL;
}

static void add_override(struct engine *e, const char *pattern, ggml_backend_buffer_type_t b)
{
    e->ovr = xrealloc(e->ovr, (size_t)(e->n_ovr + 2) * sizeof(*e->ovr));
    e->ovr_patterns = xrealloc(e->ovr_patterns, (size_t)(e->n_ovr + 1) * sizeof(char *));
    e->ovr_patterns[e->n_ovr] = xstrdup(pattern);
    e->ovr[e->n_ovr].pattern = e->ovr_patterns[e->n_ovr];
    e->ovr[e->n_ovr].buft = b;
    e->n_ovr++;
    e->ovr[e->n_ovr].pattern = NULL;
    e->ovr[e->n_ovr].buft = NULL;
}

/* "pattern=BUFT;pattern=BUFT", then the experts of the first n_cpu_moe layers on the CPU
 * (llama-bench's -ncmoe) */
static int parse_overrides(struct engine *e, const char *spec, int n_cpu_moe, char *err)
{
    char *copy = xstrdup(spec), *save = NULL;
    int ret = 0;
    for (char *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        char *eq = strrchr(tok, '=');
        if (!eq || eq == tok || !eq[1]) {
            ret = fail(err, "tensor override '%s' is not PATTERN=BUFFER_TYPE", tok);
            break;
        }
        *eq = '\0';
        ggml_backend_buffer_type_t b = buft_by_name(eq + 1);
        if (!b) {
            ret = fail(err, "tensor override '%s': unknown buffer type '%s'", tok, eq + 1);
            break;
        }
        add_override(e, tok, b);
    }
    free(copy);
    if (ret < 0)
        return -1;
    ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    for (int i = 0; i < n_cpu_moe && cpu; i++) {
        char pat[96];
        snprintf(pat, sizeof(pat), "blk\\.%d\\.ffn_(up|down|gate|gate_up)_(ch|)exps", i);
        add_override(e, pat, ggml_backend_dev_buffer_type(cpu));
    }
    return 0;
}

struct engine *engine_open(const char *path, const struct engine_model_params *mp, char *err)
{
    struct engine *e = xcalloc(1, sizeof(*e));
    struct llama_model_params p = llama_model_default_params();
    p.n_gpu_layers = mp->n_gpu_layers;
    p.split_mode = (enum llama_split_mode)mp->split_mode;
    p.main_gpu = mp->main_gpu;
    if (mp->use_mmap == 1)
        p.load_mode = LLAMA_LOAD_MODE_MMAP;
    else if (mp->use_mmap == 0)
        p.load_mode = LLAMA_LOAD_MODE_NONE;
    bool any_split = false;
    for (int i = 0; i < ENGINE_MAX_DEVICES; i++) {
        e->tensor_split[i] = mp->tensor_split[i];
        any_split |= mp->tensor_split[i] > 0;
    }
    if (any_split)
        p.tensor_split = e->tensor_split;
    int nd = parse_devices(e, mp->devices, err);
    if (nd < 0)
        goto fail;
    if (nd > 0)
        p.devices = e->devs;
    if (mp->overrides[0] || mp->n_cpu_moe > 0) {
        if (parse_overrides(e, mp->overrides, mp->n_cpu_moe, err) < 0)
            goto fail;
        if (e->n_ovr)
            p.tensor_buft_overrides = e->ovr;
    }
    e->progress = mp->progress;
    e->progress_ud = mp->progress_ud;
    p.progress_callback = progress_tramp;
    p.progress_callback_user_data = e;
    p.no_alloc = mp->no_alloc;
    if (mp->no_alloc)
        p.load_mode = LLAMA_LOAD_MODE_NONE;
    log_clear();
    log_owner = e;
    e->model = llama_model_load_from_file(path, p);
    if (!e->model) {
        if (log_last_error[0])
            fail(err, "llama.cpp failed to load model '%s': %s", path, log_last_error);
        else
            fail(err, "llama.cpp failed to load model '%s' (run with -v -v for its log)", path);
        err_kind = log_kind;
        goto fail;
    }
    return e;
fail:
    engine_close(e);
    return NULL;
}

void engine_close(struct engine *e)
{
    if (!e)
        return;
    if (log_owner == e)
        log_owner = NULL;
    engine_ctx_free(e);
    if (e->batch_cap)
        llama_batch_free(e->batch);
    if (e->model)
        llama_model_free(e->model);
    for (int i = 0; i < e->n_ovr; i++)
        free(e->ovr_patterns[i]);
    free(e->ovr_patterns);
    free(e->ovr);
    free(e->imx_buf);
    free(e->piece);
    free(e);
}

void engine_model_info(const struct engine *e, struct engine_model_info *mi)
{
    memset(mi, 0, sizeof(*mi));
    const struct llama_vocab *v = llama_model_get_vocab(e->model);
    llama_model_desc(e->model, mi->desc, sizeof(mi->desc));
    mi->size = llama_model_size(e->model);
    mi->n_params = llama_model_n_params(e->model);
    mi->n_vocab = llama_vocab_n_tokens(v);
    mi->add_bos = llama_vocab_get_add_bos(v);
    mi->bos = llama_vocab_bos(v);
    mi->eos = llama_vocab_eos(v);
    mi->n_layer = llama_model_n_layer(e->model);
    mi->n_ctx_train = llama_model_n_ctx_train(e->model);
}

static int kv_type(const char *name, enum ggml_type *out, char *err)
{
    int id = ggml_type_by_name(name);
    if (id < 0)
        return fail(err, "unknown KV cache type '%s'", name);
    *out = (enum ggml_type)id;
    return 0;
}

/* ---- importance matrix: llama-imatrix's statistics, gathered in the scheduler's eval
 * callback: for every matrix multiplication by a layer weight ("blk.*") with at least 16
 * F32 input rows, and every expert multiplication, the sum over input rows of each
 * column's square, per matrix (per expert), and the rows seen. ---- */

/* a weight's name without the "#...#" decoration the scheduler gives copies */
static void weight_name(const char *name, char *out, size_t cap)
{
    const char *p = strchr(name, '#'), *q;
    size_t n;
    if (p) {
        p++;
        q = strchr(p, '#');
        n = q ? (size_t)(q - p) : strlen(p);
    } else {
        p = name;
        n = strlen(name);
    }
    snprintf(out, cap, "%.*s", (int)n, p);
}

/* t's data in host memory: where it is, or copied from its device into imx_buf (which the
 * next call reuses) */
static const uint8_t *imx_host(struct engine *e, const struct ggml_tensor *t)
{
    if (ggml_backend_buffer_is_host(t->buffer))
        return t->data;
    size_t n = ggml_nbytes(t);
    if (n > e->imx_cap) {
        e->imx_cap = n;
        e->imx_buf = xrealloc(e->imx_buf, e->imx_cap);
    }
    ggml_backend_tensor_get(t, e->imx_buf, 0, n);
    return e->imx_buf;
}

static bool imx_finite(const float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return false;
    return true;
}

static bool imx_collect(struct ggml_tensor *t, bool ask, void *ud)
{
    struct engine *e = ud;
    const struct ggml_tensor *src0 = t->src[0], *src1 = t->src[1];
    char name[GGML_MAX_NAME + 8];
    if (ask) {
        if (t->op == GGML_OP_MUL_MAT_ID)
            return true;
        if (t->op != GGML_OP_MUL_MAT || src1->ne[1] < 16 || src1->type != GGML_TYPE_F32)
            return false;
        weight_name(src0->name, name, sizeof(name));
        return strncmp(name, "blk.", 4) == 0 || (e->imx_output && !strcmp(name, "output.weight"));
    }
    if (e->imx_err[0])
        return true;
    weight_name(src0->name, name, sizeof(name));
    if (src1->type != GGML_TYPE_F32 || src1->nb[0] != sizeof(float)) {
        set_err(e->imx_err, "importance matrix: the input of '%s' is not contiguous F32", name);
        return true;
    }
    if (t->op == GGML_OP_MUL_MAT_ID) {
        const struct ggml_tensor *ids = t->src[2];
        const int64_t n_as = src0->ne[2], n_ids = ids->ne[0], ne0 = src1->ne[0];
        const int64_t n_tokens = src1->ne[2];
        if (ids->ne[1] != n_tokens || ggml_nrows(src1) != src1->ne[1] * src1->ne[2]) {
            set_err(e->imx_err, "importance matrix: unexpected expert layout in '%s'", name);
            return true;
        }
        struct imatrix_entry *en = imatrix_entry_get(e->imx, name, ne0, (int)n_as);
        if (!en) {
            set_err(e->imx_err, "importance matrix: '%s' changed shape", name);
            return true;
        }
        /* ids first: the activations' copy may reallocate the buffer */
        const size_t ids_n = ggml_nbytes(ids);
        const uint8_t *id = imx_host(e, ids);
        uint8_t *id_copy = xmalloc(ids_n);
        memcpy(id_copy, id, ids_n);
        const uint8_t *x0 = imx_host(e, src1);
        bool *touched = xcalloc((size_t)n_as, sizeof(bool));
        for (int64_t k = 0; k < n_ids && !e->imx_err[0]; k++)
            for (int64_t row = 0; row < n_tokens; row++) {
                int32_t ex;
                memcpy(&ex, id_copy + row * ids->nb[1] + k * ids->nb[0], sizeof(ex));
                if (ex < 0 || ex >= n_as) {
                    set_err(e->imx_err, "importance matrix: expert id %d out of range in '%s'", ex,
                            name);
                    break;
                }
                const float *x =
                    (const float *)(x0 + (k % src1->ne[1]) * src1->nb[1] + row * src1->nb[2]);
                float *acc = en->sums + ex * ne0;
                en->counts[ex]++;
                touched[ex] = true;
                for (int64_t j = 0; j < ne0; j++)
                    acc[j] += x[j] * x[j];
            }
        for (int64_t ex = 0; ex < n_as && !e->imx_err[0]; ex++)
            if (touched[ex] && !imx_finite(en->sums + ex * ne0, ne0))
                set_err(e->imx_err, "importance matrix: non-finite values in '%s'", name);
        free(touched);
        free(id_copy);
        return true;
    }
    const int64_t n_mat = src0->ne[2] * src0->ne[3], ne0 = src1->ne[0];
    /* one count for all the matrices of a dense weight, as llama-imatrix */
    struct imatrix_entry *en = imatrix_entry_get(e->imx, name, ne0 * n_mat, 1);
    if (!en) {
        set_err(e->imx_err, "importance matrix: '%s' changed shape", name);
        return true;
    }
    const uint8_t *x0 = imx_host(e, src1);
    for (int64_t i3 = 0; i3 < src1->ne[3]; i3++)
        for (int64_t i2 = 0; i2 < src1->ne[2]; i2++) {
            const int64_t mat = (i3 % src0->ne[3]) * src0->ne[2] + (i2 % src0->ne[2]);
            float *acc = en->sums + mat * ne0;
            for (int64_t row = 0; row < src1->ne[1]; row++) {
                const float *x =
                    (const float *)(x0 + row * src1->nb[1] + i2 * src1->nb[2] + i3 * src1->nb[3]);
                for (int64_t j = 0; j < ne0; j++)
                    acc[j] += x[j] * x[j];
            }
        }
    if (!imx_finite(en->sums, en->n_sums))
        set_err(e->imx_err, "importance matrix: non-finite values in '%s'", name);
    en->counts[0] += ggml_nrows(src1) / n_mat;
    return true;
}

void engine_imatrix_begin(struct engine *e, struct imatrix *im, bool output)
{
    e->imx = im;
    e->imx_output = output;
    e->imx_err[0] = '\0';
}

int engine_imatrix_end(struct engine *e, char *err)
{
    e->imx = NULL;
    if (e->imx_err[0])
        return fail(err, "%s", e->imx_err);
    return 0;
}

int engine_ctx_create(struct engine *e, const struct engine_ctx_params *cp, char *err)
{
    engine_ctx_free(e);
    struct llama_context_params p = llama_context_default_params();
    p.n_ctx = cp->n_ctx;
    p.n_batch = cp->n_batch;
    p.n_ubatch = cp->n_ubatch;
    p.n_seq_max = cp->n_seq_max ? cp->n_seq_max : 1;
    p.n_threads = cp->n_threads;
    p.n_threads_batch = cp->n_threads_batch;
    p.flash_attn_type = (enum llama_flash_attn_type)cp->flash_attn;
    p.offload_kqv = !cp->no_kv_offload;
    p.swa_full = false;
    p.kv_unified = cp->kv_unified;
    p.no_perf = true;
    if (kv_type(cp->type_k, &p.type_k, err) < 0 || kv_type(cp->type_v, &p.type_v, err) < 0)
        return -1;
    log_clear();
    log_owner = e;
    for (int i = 0; i < e->logmem.n; i++) /* the context's parts are logged anew */
        e->logmem.b[i].context = e->logmem.b[i].compute = e->logmem.b[i].output = 0;
    if (e->imx) {
        p.cb_eval = imx_collect;
        p.cb_eval_user_data = e;
    }
    e->ctx = llama_init_from_model(e->model, p);
    if (!e->ctx) {
        fail(err, "llama.cpp failed to create a context (n_ctx=%u, n_batch=%u, n_ubatch=%u): %s",
             cp->n_ctx, cp->n_batch, cp->n_ubatch,
             log_last_error[0] ? log_last_error : "likely out of memory");
        err_kind = log_kind;
        return -1;
    }
    /* a persistent threadpool as llama-bench attaches one (poll < 0: none, llama.cpp's
     * default threading, as llama-batched-bench runs) */
    ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    if (cpu && cp->poll >= 0) {
        ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(cpu);
        typedef struct ggml_threadpool *(*tp_new_fn)(struct ggml_threadpool_params *);
        tp_new_fn tp_new;
        void *sym = ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_new");
        memcpy(&tp_new, &sym, sizeof(tp_new)); /* object to function pointer, as dlsym */
        if (tp_new) {
            struct ggml_threadpool_params tpp = ggml_threadpool_params_default(cp->n_threads);
            tpp.poll = (uint32_t)cp->poll;
            tpp.strict_cpu = cp->cpu_strict;
            tpp.prio = (enum ggml_sched_priority)cp->prio;
            if (cp->cpu_mask[0] &&
                parse_cpu_mask(cp->cpu_mask, tpp.cpumask, GGML_MAX_N_THREADS) < 0) {
                engine_ctx_free(e);
                return fail(err, "invalid CPU mask '%s'", cp->cpu_mask);
            }
            e->tp = tp_new(&tpp);
            if (!e->tp) {
                engine_ctx_free(e);
                return fail(err, "cannot create a threadpool of %d threads", cp->n_threads);
            }
            llama_attach_threadpool(e->ctx, e->tp, NULL);
        }
    }
    llama_set_n_threads(e->ctx, cp->n_threads, cp->n_threads_batch);
    return 0;
}

void engine_ctx_free(struct engine *e)
{
    if (e->ctx) {
        llama_free(e->ctx);
        e->ctx = NULL;
    }
    if (e->tp) {
        ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
        typedef void (*tp_free_fn)(struct ggml_threadpool *);
        tp_free_fn tp_free = NULL;
        void *sym = cpu ? ggml_backend_reg_get_proc_address(ggml_backend_dev_backend_reg(cpu),
                                                            "ggml_threadpool_free")
                        : NULL;
        memcpy(&tp_free, &sym, sizeof(tp_free));
        if (tp_free)
            tp_free(e->tp);
        e->tp = NULL;
    }
}

void engine_set_threads(struct engine *e, int n_threads, int n_threads_batch)
{
    llama_set_n_threads(e->ctx, n_threads, n_threads_batch);
}

/* llama_decode's return code rc for a batch of n tokens, as ours: its -2 is an allocation
 * that failed (GGML_STATUS_ALLOC_FAILED, no room for the outputs): QB_KIND_OOM */
static int decode_result(int rc, int n, char *err)
{
    switch (rc) {
    case 0: return 0;
    case 1: return fail(err, "decode: no KV cache slot for a batch of %d tokens", n);
    case 2: return fail(err, "decode: aborted");
    case -1: return fail(err, "decode: invalid batch of %d tokens", n);
    default:
        fail(err, "decode: failed (llama_decode returned %d)", rc);
        if (rc == -2)
            err_kind = QB_KIND_OOM;
        return -1;
    }
}

int engine_decode(struct engine *e, const int32_t *tokens, int n, char *err)
{
    if (!e->ctx)
        return fail(err, "no context");
    return decode_result(llama_decode(e->ctx, llama_batch_get_one((llama_token *)tokens, n)), n,
                         err);
}

int engine_decode_tokens(struct engine *e, const struct engine_tok *t, int n, char *err)
{
    if (!e->ctx)
        return fail(err, "no context");
    if (n > e->batch_cap) {
        if (e->batch_cap)
            llama_batch_free(e->batch);
        e->batch = llama_batch_init(n, 0, 1);
        e->batch_cap = n;
    }
    for (int i = 0; i < n; i++) {
        e->batch.token[i] = t[i].token;
        e->batch.pos[i] = t[i].pos;
        e->batch.n_seq_id[i] = 1;
        e->batch.seq_id[i][0] = t[i].seq;
        e->batch.logits[i] = t[i].logits;
    }
    e->batch.n_tokens = n;
    return decode_result(llama_decode(e->ctx, e->batch), n, err);
}

int engine_seq_rm(struct engine *e, int seq, int p0, int p1, char *err)
{
    if (!e->ctx || !llama_memory_seq_rm(llama_get_memory(e->ctx), seq, p0, p1))
        return fail(err, "cannot remove positions %d..%d of sequence %d", p0, p1, seq);
    return 0;
}

void engine_seq_cp(struct engine *e, int src, int dst)
{
    if (e->ctx)
        llama_memory_seq_cp(llama_get_memory(e->ctx), src, dst, -1, -1);
}

void engine_synchronize(struct engine *e)
{
    if (e->ctx)
        llama_synchronize(e->ctx);
}

void engine_memory_clear(struct engine *e)
{
    if (e->ctx)
        llama_memory_clear(llama_get_memory(e->ctx), false);
}

int engine_seq_save(struct engine *e, int seq, void **buf, size_t *n, char *err)
{
    size_t size = llama_state_seq_get_size(e->ctx, seq);
    if (size == 0)
        return fail(err, "sequence %d has no state to save", seq);
    uint8_t *b = xmalloc(size);
    size_t got = llama_state_seq_get_data(e->ctx, b, size, seq);
    if (got == 0) {
        free(b);
        return fail(err, "cannot save the state of sequence %d", seq);
    }
    *buf = b;
    *n = got;
    return 0;
}

int engine_seq_restore(struct engine *e, int seq, const void *buf, size_t n, char *err)
{
    if (llama_state_seq_set_data(e->ctx, buf, n, seq) == 0)
        return fail(err, "cannot restore the state of sequence %d", seq);
    return 0;
}

/* One piece of a sequence state of n cells, as found in the one-cell state the layout is
 * learnt from */
enum part_kind {
    PART_FIXED, /* bytes copied from the one-cell state */
    PART_COUNT, /* a stream's cell count (4 bytes): n */
    PART_META,  /* per cell: pos, n_seq_id 1, seq id (3 x 4 bytes) */
    PART_DATA,  /* per cell len bytes of keys or values: zeros */
};

struct state_part {
    enum part_kind kind;
    size_t off, len; /* in the one-cell state */
};

struct state_walk {
    const uint8_t *b;
    size_t n, off;
    struct state_part *p;
    int n_p, cap;
    bool bad;
};

/* the next len bytes of the one-cell state as a part of kind k; their value when small */
static uint64_t walk_take(struct state_walk *w, size_t len, enum part_kind k)
{
    uint64_t v = 0;
    if (w->bad || len > w->n - w->off) {
        w->bad = true;
        return 0;
    }
    if (len <= sizeof(v))
        memcpy(&v, w->b + w->off, len);
    if (w->n_p && k == PART_FIXED && w->p[w->n_p - 1].kind == PART_FIXED) {
        w->p[w->n_p - 1].len += len; /* fixed bytes run on */
    } else {
        if (w->n_p == w->cap) {
            w->cap = w->cap ? 2 * w->cap : 64;
            w->p = xrealloc(w->p, (size_t)w->cap * sizeof(*w->p));
        }
        w->p[w->n_p++] = (struct state_part){k, w->off, len};
    }
    w->off += len;
    return v;
}

static uint32_t peek_u32(const struct state_walk *w)
{
    uint32_t v = 0;
    if (w->n - w->off >= 4)
        memcpy(&v, w->b + w->off, 4);
    return v;
}

/* Learn the layout of a plain KV cache's state of one cell of seq (llama-kv-cache.cpp's
 * state_write: magic, seq id, n_stream, per stream the cell count, then the cells' pos,
 * n_seq_id and seq ids, v_trans, n_layer, per layer K's type, row size and rows, then V's
 * likewise, or transposed: type, element size, width and per row the cells' elements).
 * false when the bytes do not end exactly where this layout says. */
static bool state_learn(struct state_walk *w, int seq)
{
    walk_take(w, 8, PART_FIXED); /* magic, seq id */
    uint32_t n_stream = (uint32_t)walk_take(w, 4, PART_FIXED), cells = 0;
    if (n_stream == 0 || n_stream > 4096)
        return false;
    for (uint32_t s = 0; s < n_stream && !w->bad; s++) {
        uint32_t cc = peek_u32(w);
        walk_take(w, 4, cc ? PART_COUNT : PART_FIXED);
        if (cc == 0)
            continue;
        if (cc != 1 || ++cells > 1)
            return false;
        int32_t rec[3];
        if (w->n - w->off < sizeof(rec))
            return false;
        memcpy(rec, w->b + w->off, sizeof(rec));
        if (rec[0] != 0 || rec[1] != 1 || rec[2] != seq)
            return false;
        walk_take(w, sizeof(rec), PART_META);
        uint32_t v_trans = (uint32_t)walk_take(w, 4, PART_FIXED);
        uint32_t n_layer = (uint32_t)walk_take(w, 4, PART_FIXED);
        if (v_trans > 1 || n_layer == 0 || n_layer > 4096)
            return false;
        for (int kv = 0; kv < 2 && !w->bad; kv++) {
            for (uint32_t l = 0; l < n_layer && !w->bad; l++) {
                walk_take(w, 4, PART_FIXED); /* type */
                if (kv == 1 && v_trans) {
                    uint32_t el = (uint32_t)walk_take(w, 4, PART_FIXED);
                    uint32_t width = (uint32_t)walk_take(w, 4, PART_FIXED);
                    if (el == 0 || el > 64 || width == 0 || width > (1u << 20))
                        return false;
                    for (uint32_t j = 0; j < width && !w->bad; j++)
                        walk_take(w, el, PART_DATA);
                } else {
                    uint64_t row = walk_take(w, 8, PART_FIXED);
                    if (row == 0 || row > ((uint64_t)1 << 30))
                        return false;
                    walk_take(w, (size_t)row, PART_DATA);
                }
            }
        }
    }
    return !w->bad && cells == 1 && w->off == w->n;
}

int engine_seq_occupy(struct engine *e, int seq, int n, char *err)
{
    if (!e->ctx)
        return fail(err, "no context");
    if (n <= 0)
        return 0;
    /* one decoded token of seq: the state whose layout a state of n cells repeats */
    struct engine_tok t0 = {.token = 0, .pos = 0, .seq = seq, .logits = false};
    if (engine_decode_tokens(e, &t0, 1, err) < 0)
        return -1;
    void *one = NULL;
    size_t n_one = 0;
    if (engine_seq_save(e, seq, &one, &n_one, err) < 0)
        return -1;
    llama_memory_seq_rm(llama_get_memory(e->ctx), seq, -1, -1);
    struct state_walk w = {.b = one, .n = n_one};
    int rc = -1;
    uint8_t *big = MAP_FAILED;
    size_t size = 0;
    if (!state_learn(&w, seq)) {
        fail(err,
             "the context's memory state is not a plain KV cache's (%zu bytes for one "
             "cell): cannot occupy cells without decoding",
             n_one);
        goto out;
    }
    for (int i = 0; i < w.n_p; i++)
        size += w.p[i].kind >= PART_META ? w.p[i].len * (size_t)n : w.p[i].len;
    /* the zeros are never written: untouched private anonymous pages read as the zero page */
    big = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (big == MAP_FAILED) {
        fail(err, "cannot map %zu bytes for a state of %d cells: %s", size, n, strerror(errno));
        goto out;
    }
    size_t at = 0;
    for (int i = 0; i < w.n_p; i++) {
        const struct state_part *p = &w.p[i];
        const uint32_t cc = (uint32_t)n;
        switch (p->kind) {
        case PART_FIXED: memcpy(big + at, w.b + p->off, p->len); break;
        case PART_COUNT: memcpy(big + at, &cc, 4); break;
        case PART_META:
            for (int c = 0; c < n; c++) {
                const int32_t rec[3] = {c, 1, seq};
                memcpy(big + at + (size_t)c * sizeof(rec), rec, sizeof(rec));
            }
            break;
        case PART_DATA: break;
        }
        at += p->kind >= PART_META ? p->len * (size_t)n : p->len;
    }
    if (at != size) {
        fail(err, "internal: a state of %d cells laid out as %zu of %zu bytes", n, at, size);
        goto out;
    }
    if (llama_state_seq_set_data(e->ctx, big, size, seq) != size ||
        !llama_memory_seq_rm(llama_get_memory(e->ctx), seq, 0, n - 1)) {
        llama_memory_seq_rm(llama_get_memory(e->ctx), seq, -1, -1);
        fail(err, "llama.cpp refused a state of %d cells of sequence %d", n, seq);
        goto out;
    }
    rc = 0;
out:
    if (big != MAP_FAILED)
        munmap(big, size);
    free(w.p);
    free(one);
    return rc;
}

static void kv_str(struct llama_model_kv_override *o, const char *key, const char *v)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->key, sizeof(o->key), "%s", key);
    o->tag = LLAMA_KV_OVERRIDE_TYPE_STR;
    snprintf(o->val_str, sizeof(o->val_str), "%s", v);
}

static void kv_int(struct llama_model_kv_override *o, const char *key, int64_t v)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->key, sizeof(o->key), "%s", key);
    o->tag = LLAMA_KV_OVERRIDE_TYPE_INT;
    o->val_i64 = v;
}

int engine_quantize(const char *in, const char *out, int ftype, int n_threads,
                    const struct imatrix *im, const char *im_path, char *err)
{
    llama_model_quantize_params p = llama_model_quantize_default_params();
    p.ftype = (enum llama_ftype)ftype;
    p.nthread = n_threads;
    size_t n = im ? im->n : 0;
    struct llama_model_imatrix_data *d = xcalloc(n + 1, sizeof(*d));
    float **vals = xcalloc(n + 1, sizeof(float *));
    struct llama_model_kv_override kv[5];
    if (n) { /* the values and the metadata llama-quantize records */
        for (size_t i = 0; i < n; i++) {
            vals[i] = imatrix_values(im, &im->e[i]);
            d[i] =
                (struct llama_model_imatrix_data){im->e[i].name, vals[i], (size_t)im->e[i].n_sums};
        }
        p.imatrix = d;
        int k = 0;
        kv_str(&kv[k++], "quantize.imatrix.file", im_path ? im_path : "");
        if (im->n_datasets)
            kv_str(&kv[k++], "quantize.imatrix.dataset", im->datasets[0]);
        kv_int(&kv[k++], "quantize.imatrix.entries_count", (int64_t)n);
        if (im->chunk_count > 0)
            kv_int(&kv[k++], "quantize.imatrix.chunks_count", im->chunk_count);
        memset(&kv[k], 0, sizeof(kv[k]));
        p.kv_overrides = kv;
    }
    int rc = 0;
    log_clear();
    if (llama_model_quantize(in, out, &p) != 0) {
        if (log_write_failed) {
            /* the C++ stream's words for a file it could not write: say which and why */
            int fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
            int why = fd < 0 ? errno : log_errno;
            if (fd >= 0)
                close(fd);
            rc = fail(err, "cannot write '%s': %s", out, why ? strerror(why) : "write error");
        } else {
            rc = fail(err, "llama.cpp failed to quantize '%s' to %s%s%s", in,
                      llama_ftype_name_short(ftype) ? llama_ftype_name_short(ftype) : "?",
                      log_last_error[0] ? ": " : "", log_last_error);
        }
        err_kind = log_kind;
    }
    for (size_t i = 0; i < n; i++)
        free(vals[i]);
    free(vals);
    free(d);
    return rc;
}

int engine_check_types(char *err)
{
    for (uint32_t id = 0; id < GGML_TYPE_COUNT && id < GGML_TYPE_ID_COUNT; id++) {
        const struct ggml_type_info *t = ggml_type_info(id);
        size_t size = ggml_type_size((enum ggml_type)id);
        int64_t blck = ggml_blck_size((enum ggml_type)id);
        if (!t) {
            if (size != 0 && blck != 0 && strcmp(ggml_type_name((enum ggml_type)id), "DEPRECATED"))
                return fail(err, "type %u (%s) is missing from our table", id,
                            ggml_type_name((enum ggml_type)id));
            continue;
        }
        if (strcmp(t->name, ggml_type_name((enum ggml_type)id)) != 0 || t->size != size ||
            (int64_t)t->blck != blck)
            return fail(err, "type %u: ours %s/%u/%u, ggml %s/%lld/%zu", id, t->name, t->blck,
                        t->size, ggml_type_name((enum ggml_type)id), (long long)blck, size);
    }
    if (GGML_TYPE_COUNT != GGML_TYPE_ID_COUNT)
        return fail(err, "ggml has %d types, our table %d", GGML_TYPE_COUNT, GGML_TYPE_ID_COUNT);
    return 0;
}

/* Where a buffer type's memory lives, decided by its device, not its name: host memory
 * when it has no device or the CPU device (CPU, CPU_Mapped, and CPU_REPACK and the other
 * extra types of the CPU backend, whose is_host is false only because their layout is not
 * plain), or when it is a GPU backend's host buffer type (CUDA_Host: pinned host memory) */
static void classify_buft(ggml_backend_buffer_type_t buft, struct engine_mem_buf *b)
{
    ggml_backend_dev_t d = ggml_backend_buft_get_device(buft);
    b->host = ggml_backend_buft_is_host(buft) || !d ||
              ggml_backend_dev_type(d) == GGML_BACKEND_DEVICE_TYPE_CPU;
    snprintf(b->dev, sizeof(b->dev), "%s", b->host ? "CPU" : ggml_backend_dev_name(d));
}

#ifdef QB_HAVE_LLAMA_EXT
static void breakdown_cb(void *ud, ggml_backend_buffer_type_t buft, size_t model, size_t context,
                         size_t compute)
{
    struct engine_mem *m = ud;
    struct engine_mem_buf *b = mem_buf(m, ggml_backend_buft_name(buft));
    if (!b)
        return;
    classify_buft(buft, b);
    b->model = model;
    b->context = context;
    b->compute = compute;
}
#endif

/* the buffer type a log line named: a device's own, its host type, or one of its extra
 * types (the CPU's CPU_REPACK, ...); NULL when none is called so */
static ggml_backend_buffer_type_t buft_named(const char *name)
{
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        ggml_backend_buffer_type_t c[2] = {ggml_backend_dev_buffer_type(dev),
                                           ggml_backend_dev_host_buffer_type(dev)};
        for (int k = 0; k < 2; k++)
            if (c[k] && strcmp(ggml_backend_buft_name(c[k]), name) == 0)
                return c[k];
        ggml_backend_dev_get_extra_bufts_t fn;
        void *sym = ggml_backend_reg_get_proc_address(ggml_backend_dev_backend_reg(dev),
                                                      "ggml_backend_dev_get_extra_bufts");
        memcpy(&fn, &sym, sizeof(fn));
        for (ggml_backend_buffer_type_t *x = fn ? fn(dev) : NULL; x && *x; x++)
            if (strcmp(ggml_backend_buft_name(*x), name) == 0)
                return *x;
    }
    return NULL;
}

static void fill_dev(struct engine_mem_buf *b)
{
    ggml_backend_buffer_type_t found = buft_named(b->buft);
    if (found) {
        classify_buft(found, b);
    } else { /* CPU_Mapped (a buffer over the mapped file: no device's type) */
        snprintf(b->dev, sizeof(b->dev), "CPU");
        b->host = true;
    }
}

int engine_memory(const struct engine *e, struct engine_mem *m, char *err)
{
    memset(m, 0, sizeof(*m));
#ifdef QB_HAVE_LLAMA_EXT
    if (e->ctx && qb_llama_breakdown(e->ctx, breakdown_cb, m) == 0)
        m->exact = true;
#endif
    for (int i = 0; i < e->logmem.n; i++) {
        const struct engine_mem_buf *l = &e->logmem.b[i];
        struct engine_mem_buf *b = mem_buf(m, l->buft);
        if (!b)
            return fail(err, "more than %d buffer types", ENGINE_MAX_BUFS);
        b->output = l->output;
        if (!m->exact) {
            b->model = l->model;
            b->context = l->context;
            b->compute = l->compute;
        }
    }
    for (int i = 0; i < m->n; i++)
        if (!m->b[i].dev[0])
            fill_dev(&m->b[i]);
    return 0;
}

int engine_devices_memory(struct engine_dev_mem *d, int max)
{
    int n = 0;
    for (size_t i = 0; i < ggml_backend_dev_count() && n < max; i++) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        enum ggml_backend_dev_type t = ggml_backend_dev_type(dev);
        if (t != GGML_BACKEND_DEVICE_TYPE_CPU && t != GGML_BACKEND_DEVICE_TYPE_GPU &&
            t != GGML_BACKEND_DEVICE_TYPE_IGPU)
            continue;
        size_t fr = 0, tot = 0;
        ggml_backend_dev_memory(dev, &fr, &tot);
        memset(&d[n], 0, sizeof(d[n]));
        snprintf(d[n].name, sizeof(d[n].name), "%s", ggml_backend_dev_name(dev));
        snprintf(d[n].desc, sizeof(d[n].desc), "%s", ggml_backend_dev_description(dev));
        d[n].gpu = t != GGML_BACKEND_DEVICE_TYPE_CPU;
        d[n].free = fr;
        d[n].total = tot;
        n++;
    }
    return n;
}

void engine_host_caps(int *n_gpus, bool *repack, bool *repack_avx512)
{
    *n_gpus = 0;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        enum ggml_backend_dev_type t = ggml_backend_dev_type(ggml_backend_dev_get(i));
        if (t == GGML_BACKEND_DEVICE_TYPE_GPU || t == GGML_BACKEND_DEVICE_TYPE_IGPU)
            (*n_gpus)++;
    }
    /* the CPU backend's feature list (ggml_backend_get_features), as llama-bench's
     * system info reads it: works whether ggml-cpu is linked in or loaded at run time */
    *repack = *repack_avx512 = false;
    ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    if (!cpu)
        return;
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(cpu);
    typedef struct ggml_backend_feature *(*features_fn)(ggml_backend_reg_t);
    features_fn fn;
    void *sym = ggml_backend_reg_get_proc_address(reg, "ggml_backend_get_features");
    memcpy(&fn, &sym, sizeof(fn));
    if (!fn)
        return;
    for (struct ggml_backend_feature *f = fn(reg); f && f->name; f++) {
        bool on = f->value && strcmp(f->value, "0") != 0;
        if (!strcmp(f->name, "AVX2"))
            *repack = on;
        else if (!strcmp(f->name, "AVX512"))
            *repack_avx512 = on;
        else if (!strcmp(f->name, "REPACK") && !on)
            *repack = *repack_avx512 = false;
    }
}

const float *engine_logits(struct engine *e, int i, char *err)
{
    const float *l = e->ctx ? llama_get_logits_ith(e->ctx, i) : NULL;
    if (!l)
        fail(err, "no logits for batch token %d", i);
    return l;
}

/* text into tokens (*out the caller's): parse_special reads special-token texts as those
 * tokens (a chat template's), what names the text in the error */
static int tokenize(const struct engine *e, const char *text, size_t len, bool add_special,
                    bool parse_special, const char *what, int32_t **out, int *n, char *err)
{
    *out = NULL;
    *n = 0;
    if (len > INT32_MAX / 2)
        return fail(err, "text of %zu bytes is too long to tokenize", len);
    const struct llama_vocab *v = llama_model_get_vocab(e->model);
    /* at most one token per byte, plus BOS/EOS */
    int cap = (int)len + 2;
    int32_t *t = xcalloc((size_t)cap, sizeof(*t));
    int k = llama_tokenize(v, text, (int32_t)len, t, cap, add_special, parse_special);
    if (k < 0) {
        cap = -k;
        t = xrealloc(t, (size_t)cap * sizeof(*t));
        k = llama_tokenize(v, text, (int32_t)len, t, cap, add_special, parse_special);
    }
    if (k < 0) {
        free(t);
        return fail(err, "llama.cpp could not tokenize the %s", what);
    }
    *out = t;
    *n = k;
    return 0;
}

int engine_tokenize(const struct engine *e, const char *text, size_t len, bool add_special,
                    int32_t **out, int *n, char *err)
{
    return tokenize(e, text, len, add_special, false, "text", out, n, err);
}

int engine_detokenize(const struct engine *e, const int32_t *tokens, int n, char **out, size_t *len,
                      char *err)
{
    *out = NULL;
    *len = 0;
    const struct llama_vocab *v = llama_model_get_vocab(e->model);
    const int32_t n_vocab = llama_vocab_n_tokens(v);
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= n_vocab)
            return fail(err, "token %d is %d, outside the vocabulary of %d", i, tokens[i], n_vocab);
    int cap = n * 8 + 64;
    char *s = xmalloc((size_t)cap + 1);
    int k = llama_detokenize(v, tokens, n, s, cap, false, false);
    if (k < 0) {
        cap = -k;
        s = xrealloc(s, (size_t)cap + 1);
        k = llama_detokenize(v, tokens, n, s, cap, false, false);
    }
    if (k < 0) {
        free(s);
        return fail(err, "llama.cpp could not detokenize %d tokens", n);
    }
    s[k] = '\0';
    *out = s;
    *len = (size_t)k;
    return 0;
}

/* ---- generation ---- */

const char *engine_chat_tmpl_name(enum engine_chat_tmpl t)
{
    switch (t) {
    case ENGINE_CHAT_MODEL: return "model";
    case ENGINE_CHAT_CHATML_NONE: return "chatml-none";
    case ENGINE_CHAT_CHATML_UNSUPPORTED: return "chatml-unsupported";
    }
    return "?";
}

/* llama_chat_apply_template into *buf (grown to fit); its length, or -1 when llama.cpp
 * does not know tmpl */
static int32_t apply_tmpl(const char *tmpl, const struct llama_chat_message *m, size_t n,
                          char **buf, int32_t *cap)
{
    int32_t k = llama_chat_apply_template(tmpl, m, n, true, *buf, *cap);
    if (k >= *cap) {
        *cap = k + 1;
        *buf = xrealloc(*buf, (size_t)*cap);
        k = llama_chat_apply_template(tmpl, m, n, true, *buf, *cap);
    }
    return k < 0 || k >= *cap ? -1 : k;
}

int engine_chat_apply(const struct engine *e, const struct engine_chat_msg *msgs, int n, char **out,
                      enum engine_chat_tmpl *used, char *err)
{
    *out = NULL;
    struct llama_chat_message *m = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*m));
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        m[i].role = msgs[i].role;
        m[i].content = msgs[i].content;
        total += strlen(msgs[i].role) + strlen(msgs[i].content);
    }
    if (total > INT32_MAX / 4) {
        free(m);
        return fail(err, "a chat of %zu bytes is too long for a chat template", total);
    }
    /* llama.cpp's advice: twice the characters of the messages */
    int32_t cap = (int32_t)(2 * total + 256);
    char *buf = xmalloc((size_t)cap);
    const char *tmpl = llama_model_chat_template(e->model, NULL);
    int32_t k = tmpl ? apply_tmpl(tmpl, m, (size_t)n, &buf, &cap) : -1;
    *used = ENGINE_CHAT_MODEL;
    if (k < 0) {
        *used = tmpl ? ENGINE_CHAT_CHATML_UNSUPPORTED : ENGINE_CHAT_CHATML_NONE;
        k = apply_tmpl("chatml", m, (size_t)n, &buf, &cap);
    }
    free(m);
    if (k < 0) {
        free(buf);
        return fail(err, "llama.cpp could not apply a chat template");
    }
    buf[k] = '\0';
    *out = buf;
    return 0;
}

int engine_tokenize_chat(const struct engine *e, const char *text, size_t len, int32_t **out,
                         int *n, char *err)
{
    if (tokenize(e, text, len, true, true, "chat", out, n, err) < 0)
        return -1;
    const struct llama_vocab *v = llama_model_get_vocab(e->model);
    int32_t *t = *out;
    int k = *n;
    /* a template that writes BOS itself, and the vocabulary adding one: keep one (the
     * double BOS llama.cpp warns about) */
    llama_token bos = llama_vocab_bos(v);
    if (k >= 2 && llama_vocab_get_add_bos(v) && bos != LLAMA_TOKEN_NULL && t[0] == bos &&
        t[1] == bos) {
        memmove(t, t + 1, (size_t)(k - 1) * sizeof(*t));
        k--;
    }
    *out = t;
    *n = k;
    return 0;
}

bool engine_token_is_eog(const struct engine *e, int32_t tok)
{
    return llama_vocab_is_eog(llama_model_get_vocab(e->model), tok);
}

const char *engine_token_piece(struct engine *e, int32_t tok, size_t *len, char *err)
{
    const struct llama_vocab *v = llama_model_get_vocab(e->model);
    *len = 0;
    if (tok < 0 || tok >= llama_vocab_n_tokens(v)) {
        fail(err, "token %d is outside the vocabulary of %d", tok, llama_vocab_n_tokens(v));
        return NULL;
    }
    if (e->piece_cap < 64) {
        e->piece_cap = 64;
        e->piece = xrealloc(e->piece, (size_t)e->piece_cap);
    }
    /* special false, as llama-server's common_token_to_piece for a reply */
    int k = llama_token_to_piece(v, tok, e->piece, e->piece_cap, 0, false);
    if (k < 0) {
        e->piece_cap = -k;
        e->piece = xrealloc(e->piece, (size_t)e->piece_cap);
        k = llama_token_to_piece(v, tok, e->piece, e->piece_cap, 0, false);
    }
    if (k < 0) {
        fail(err, "llama.cpp could not render token %d", tok);
        return NULL;
    }
    *len = (size_t)k;
    return e->piece;
}

struct engine_sampler_params engine_sampler_params_default(void)
{
    struct engine_sampler_params p = {0, 40, 0.95, 1};
    return p;
}

struct engine_sampler {
    struct llama_sampler *chain;
};

struct engine_sampler *engine_sampler_new(const struct engine *e,
                                          const struct engine_sampler_params *sp, char *err)
{
    const struct llama_vocab *v = llama_model_get_vocab(e->model);
    struct llama_sampler_chain_params cp = llama_sampler_chain_default_params();
    cp.no_perf = true;
    struct llama_sampler *c = llama_sampler_chain_init(cp);
    if (!c) {
        fail(err, "llama.cpp could not create a sampler");
        return NULL;
    }
    int32_t n_sup = 0;
    const llama_token *sup = llama_vocab_get_suppress_tokens(v, &n_sup);
    if (sup && n_sup > 0) {
        llama_logit_bias *b = xcalloc((size_t)n_sup, sizeof(*b));
        for (int32_t i = 0; i < n_sup; i++)
            b[i] = (llama_logit_bias){sup[i], -INFINITY};
        llama_sampler_chain_add(c,
                                llama_sampler_init_logit_bias(llama_vocab_n_tokens(v), n_sup, b));
        free(b);
    }
    if (sp->temp <= 0) {
        llama_sampler_chain_add(c, llama_sampler_init_greedy());
    } else {
        if (sp->top_k > 0)
            llama_sampler_chain_add(c, llama_sampler_init_top_k(sp->top_k));
        if (sp->top_p < 1)
            llama_sampler_chain_add(c, llama_sampler_init_top_p((float)sp->top_p, 1));
        llama_sampler_chain_add(c, llama_sampler_init_temp((float)sp->temp));
        llama_sampler_chain_add(c, llama_sampler_init_dist((uint32_t)sp->seed));
    }
    struct engine_sampler *s = xcalloc(1, sizeof(*s));
    s->chain = c;
    return s;
}

void engine_sampler_free(struct engine_sampler *s)
{
    if (!s)
        return;
    llama_sampler_free(s->chain);
    free(s);
}

int engine_sampler_sample(struct engine_sampler *s, struct engine *e, int32_t *tok, char *err)
{
    /* llama_sampler_sample asserts on absent logits: ask first */
    if (!e->ctx || !llama_get_logits_ith(e->ctx, -1))
        return fail(err, "no logits to sample from");
    *tok = llama_sampler_sample(s->chain, e->ctx, -1);
    return 0;
}
