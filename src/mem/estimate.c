/* GGUF metadata -> memory per buffer type (see estimate.h). */
#include "estimate.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/util.h"

#define PAD(x, n) (((x) + (n)-1) / (n) * (n))

void mem_params_default(struct mem_params *p)
{
    memset(p, 0, sizeof(*p));
    p->n_gpu_layers = -1;
    p->n_batch = 2048;
    p->n_ubatch = 512;
    p->n_seq = 1;
    p->flash_attn = -1;
    snprintf(p->type_k, sizeof(p->type_k), "f16");
    snprintf(p->type_v, sizeof(p->type_v), "f16");
    p->use_mmap = -1;
}

static struct mem_part *part(struct mem_estimate *e, const char *buft, const char *dev, bool host)
{
    for (int i = 0; i < e->n; i++)
        if (strcmp(e->p[i].buft, buft) == 0)
            return &e->p[i];
    if (e->n == MEM_MAX_PARTS)
        return NULL;
    struct mem_part *p = &e->p[e->n++];
    memset(p, 0, sizeof(*p));
    snprintf(p->buft, sizeof(p->buft), "%s", buft);
    snprintf(p->dev, sizeof(p->dev), "%s", dev);
    p->host = host;
    return p;
}

uint64_t mem_total(const struct mem_estimate *e, const char *dev)
{
    uint64_t t = 0;
    for (int i = 0; i < e->n; i++)
        if (!dev || strcmp(e->p[i].dev, dev) == 0)
            t += e->p[i].model + e->p[i].context + e->p[i].compute + e->p[i].output;
    return t;
}

uint64_t mem_bounds(const struct mem_estimate *e, const char *dev)
{
    uint64_t t = 0;
    for (int i = 0; i < e->n_bound; i++)
        if (!dev || strcmp(e->bound[i].dev, dev) == 0)
            t += e->bound[i].bytes;
    return t;
}

uint64_t mem_plan(const struct mem_estimate *e, const char *dev)
{
    return mem_total(e, dev) + mem_bounds(e, dev);
}

static void add_bound(struct mem_estimate *e, const char *dev, uint64_t bytes, const char *why)
{
    if (e->n_bound == MEM_MAX_BOUNDS || !bytes)
        return;
    struct mem_bound *b = &e->bound[e->n_bound++];
    snprintf(b->dev, sizeof(b->dev), "%s", dev);
    b->bytes = bytes;
    snprintf(b->why, sizeof(b->why), "%s", why);
}

/* a per-layer hyperparameter: scalar, or an array indexed by layer */
static int64_t layer_int(const struct gf_file *f, const char *key, int il, int64_t def)
{
    const struct gf_kv *kv = gf_find(f, key);
    if (!kv)
        return def;
    if (kv->val.type != GF_VT_ARRAY)
        return gf_get_int(f, key, def);
    if ((uint64_t)il >= kv->val.v.arr.n)
        return def;
    const unsigned char *d = kv->val.v.arr.data;
    switch (kv->val.v.arr.type) {
    case GF_VT_UINT32: {
        uint32_t v;
        memcpy(&v, d + 4 * (size_t)il, 4);
        return v;
    }
    case GF_VT_INT32: {
        int32_t v;
        memcpy(&v, d + 4 * (size_t)il, 4);
        return v;
    }
    default: return def;
    }
}

static uint64_t row_bytes(uint32_t type, uint64_t n)
{
    const struct ggml_type_info *ti = ggml_type_info(type);
    return ti ? n / ti->blck * ti->size : 0;
}

/* ggml types the CPU backend repacks on x86 with AVX2 (ggml-cpu/repack.cpp), given rows */
static bool repackable(const struct mem_params *p, uint32_t type, int64_t ne1)
{
    if (!p->repack || ne1 % 8)
        return false;
    switch (type) {
    case 2:  /* Q4_0 */
    case 12: /* Q4_K */
    case 20: /* IQ4_NL */
    case 39: /* MXFP4 */ return true;
    case 10: /* Q2_K */ return p->repack_avx512;
    default: return false;
    }
}

struct ovr {
    regex_t re;
    char buft[32];
    bool gpu;
    bool matched;
    char pattern[128];
};

/* llama.cpp's patterns are ECMAScript regexes; the ones people write (\., \d, (a|b), .*)
 * read the same as POSIX extended ones once \d is spelled [0-9] */
static int ovr_compile(struct ovr *o, const char *pattern, char *err)
{
    char buf[512];
    size_t k = 0;
    for (const char *s = pattern; *s && k + 6 < sizeof(buf); s++) {
        if (s[0] == '\\' && s[1] == 'd') {
            memcpy(buf + k, "[0-9]", 5);
            k += 5;
            s++;
        } else {
            buf[k++] = *s;
        }
    }
    buf[k] = '\0';
    snprintf(o->pattern, sizeof(o->pattern), "%s", pattern);
    if (regcomp(&o->re, buf, REG_EXTENDED | REG_NOSUB) != 0)
        return set_err(err, "tensor override pattern '%s' is not a valid regex", pattern);
    return 0;
}

static int parse_ovr(const struct mem_params *p, struct ovr **out, int *n_out, char *err)
{
    struct ovr *o = NULL;
    int n = 0;
    char *copy = xstrdup(p->overrides), *save = NULL;
    for (char *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        char *eq = strrchr(tok, '=');
        if (!eq || eq == tok || !eq[1]) {
            set_err(err, "tensor override '%s' is not PATTERN=BUFFER_TYPE", tok);
            free(copy);
            *out = o;
            *n_out = n;
            return -2;
        }
        *eq = '\0';
        o = xrealloc(o, (size_t)(n + 1) * sizeof(*o));
        memset(&o[n], 0, sizeof(o[n]));
        const char *b = eq + 1;
        int gi = -1;
        if (strcasecmp(b, "CPU") == 0) {
            snprintf(o[n].buft, sizeof(o[n].buft), "CPU");
        } else if (strncasecmp(b, "CUDA", 4) == 0 &&
                   parse_int(b + 4, 0, MEM_MAX_GPUS - 1, &gi) == 0 && gi < p->n_gpus) {
            snprintf(o[n].buft, sizeof(o[n].buft), "CUDA%d", gi);
            o[n].gpu = true;
        } else {
            set_err(err, "tensor override '%s=%s': unknown buffer type '%s' (%s)", tok, b, b,
                    p->n_gpus ? "CPU or CUDA0.." : "CPU is the only one without a GPU");
            free(copy);
            *out = o;
            *n_out = n;
            return -2;
        }
        if (ovr_compile(&o[n], tok, err) < 0) {
            free(copy);
            *out = o;
            *n_out = n;
            return -2;
        }
        n++;
    }
    free(copy);
    for (int i = 0; i < p->n_cpu_moe; i++) {
        char pat[96];
        snprintf(pat, sizeof(pat), "blk\\.%d\\.ffn_(up|down|gate|gate_up)_(ch|)exps", i);
        o = xrealloc(o, (size_t)(n + 1) * sizeof(*o));
        memset(&o[n], 0, sizeof(o[n]));
        snprintf(o[n].buft, sizeof(o[n].buft), "CPU");
        ovr_compile(&o[n], pat, err);
        o[n].matched = true; /* -ncmoe past the layer count is not the user's pattern */
        n++;
    }
    *out = o;
    *n_out = n;
    return 0;
}

/* layer slot of a tensor: blk.N -> N, output* -> n_layer (the output layer), else -1 (input) */
static int tensor_slot(const char *name, int n_layer)
{
    if (strncmp(name, "blk.", 4) == 0) {
        /* the digits up to the next '.' */
        long v = strtol(name + 4, NULL, 10);
        return v >= 0 && v < INT32_MAX ? (int)v : -1;
    }
    if (strncmp(name, "output", 6) == 0)
        return n_layer;
    return -1;
}

/* the GPU of a layer slot under -ngl and -ts, or -1 for the CPU */
static int slot_gpu(const struct mem_params *p, int n_layer, int slot)
{
    if (p->n_gpus <= 0 || slot < 0)
        return -1;
    int ngl = p->n_gpu_layers < 0 || p->n_gpu_layers > n_layer + 1 ? n_layer + 1 : p->n_gpu_layers;
    int start = n_layer + 1 - ngl;
    if (slot < start)
        return -1;
    if (p->n_gpus == 1)
        return 0;
    /* llama.cpp: upper_bound over the cumulative split of the offloaded layers */
    float cum[MEM_MAX_GPUS], sum = 0;
    for (int g = 0; g < p->n_gpus; g++)
        sum += p->split[g] > 0 ? p->split[g] : 0;
    for (int g = 0; g < p->n_gpus; g++) {
        float w = sum > 0 ? (p->split[g] > 0 ? p->split[g] : 0) / sum : 1.0f / (float)p->n_gpus;
        cum[g] = (g ? cum[g - 1] : 0) + w;
    }
    float x = (float)(slot - start) / (float)ngl;
    for (int g = 0; g < p->n_gpus; g++)
        if (x < cum[g])
            return g;
    return p->n_gpus - 1;
}

static const char *gpu_name(int g, char *buf, size_t n)
{
    snprintf(buf, n, "CUDA%d", g);
    return buf;
}

/* bytes a tensor of nbytes and first dimension ne0 takes in a CUDA buffer: quantized
 * rows padded to 512 elements (ggml-cuda's get_alloc_size), aligned to 128 */
static uint64_t cuda_alloc(uint32_t type, int64_t ne0, uint64_t nbytes)
{
    const struct ggml_type_info *ti = ggml_type_info(type);
    if (ti && ti->blck > 1 && ne0 % 512)
        nbytes += row_bytes(type, (uint64_t)(512 - ne0 % 512));
    return PAD(nbytes, 128);
}

static uint64_t cuda_bytes(const struct gf_tensor *t)
{
    return cuda_alloc(t->type, t->ne[0], t->n_bytes);
}

struct hp {
    int n_layer, n_embd, n_vocab, n_expert, n_expert_used;
    bool is_mla;
    uint32_t n_swa;
    int swa_period; /* every period-th layer is full attention; 0 = no SWA */
};

static int read_hparams(const struct gf_file *f, struct hp *h, char *err, const char **arch_out)
{
    const char *arch = gf_get_str(f, "general.architecture");
    if (!arch)
        return set_err(err, "no general.architecture in the GGUF metadata");
    *arch_out = arch;
    char key[128];
#define K(suffix) (snprintf(key, sizeof(key), "%s." suffix, arch), key)
    h->n_layer = (int)gf_get_int(f, K("block_count"), 0);
    h->n_embd = (int)gf_get_int(f, K("embedding_length"), 0);
    h->n_vocab = (int)gf_get_int(f, K("vocab_size"), 0);
    if (!h->n_vocab)
        h->n_vocab = (int)gf_get_arr_n(f, "tokenizer.ggml.tokens");
    h->n_expert = (int)gf_get_int(f, K("expert_count"), 0);
    h->n_expert_used = (int)gf_get_int(f, K("expert_used_count"), 0);
    h->is_mla =
        gf_find(f, K("attention.key_length_mla")) && gf_find(f, K("attention.value_length_mla"));
    h->n_swa = (uint32_t)gf_get_int(f, K("attention.sliding_window"), 0);
    h->swa_period = h->n_swa ? (int)gf_get_int(f, K("attention.sliding_window_pattern"), 0) : 0;
#undef K
    if (h->n_layer <= 0 || h->n_embd <= 0 || h->n_vocab <= 0)
        return set_err(err, "GGUF metadata lacks %s.block_count, embedding_length or a vocabulary",
                       arch);
    if (h->n_layer > 65536 || h->n_embd > (1 << 20) || h->n_vocab > (1 << 24) ||
        h->n_swa > (1u << 30) || h->swa_period < 0 || h->swa_period > 65536)
        return set_err(err, "implausible %s hyperparameters (%d layers, width %d, %d tokens)", arch,
                       h->n_layer, h->n_embd, h->n_vocab);
    return 0;
}

int mem_estimate(const struct gf_file *f, const struct mem_params *p, struct mem_estimate *e,
                 char *err)
{
    memset(e, 0, sizeof(*e));
    const char *arch = NULL;
    struct hp h = {0};
    if (read_hparams(f, &h, err, &arch) < 0)
        return -1;
    e->n_layer = h.n_layer;
    int tk = ggml_type_by_name(p->type_k), tv = ggml_type_by_name(p->type_v);
    if (tk < 0 || tv < 0) {
        set_err(err, "unknown KV cache type '%s'", tk < 0 ? p->type_k : p->type_v);
        return -2;
    }
    bool v_quant = ggml_type_info((uint32_t)tv)->blck > 1;
    e->flash_attn = p->flash_attn != 0;
    if (v_quant && p->flash_attn == 0) {
        set_err(err, "a quantized V cache (%s) needs flash attention (-fa on or auto)", p->type_v);
        return -2;
    }
    char gname[16];

    /* ---- context: llama.cpp pads n_ctx to 256, and per sequence stream when not unified */
    char key[128];
    snprintf(key, sizeof(key), "%s.context_length", arch);
    int64_t train = gf_get_int(f, key, 0);
    e->n_ctx_train = train > 0 && train <= UINT32_MAX ? (uint32_t)train : 0;
    uint32_t n_ctx = p->n_ctx ? p->n_ctx : e->n_ctx_train ? e->n_ctx_train : 4096;
    uint32_t n_seq = p->n_seq ? p->n_seq : 1;
    n_ctx = PAD(n_ctx, 256);
    uint32_t cells = n_ctx, streams = 1;
    if (!p->kv_unified && n_seq > 1) {
        cells = PAD(n_ctx / n_seq, 256);
        n_ctx = cells * n_seq;
        streams = n_seq;
    }
    e->n_ctx = n_ctx;
    e->n_ctx_seq = cells;
    uint32_t n_batch = p->n_batch < n_ctx ? p->n_batch : n_ctx;
    uint32_t n_ub = p->n_ubatch < n_batch ? p->n_ubatch : n_batch;
    uint32_t swa_cells = cells;
    if (h.n_swa) {
        uint64_t want = (uint64_t)h.n_swa * (p->kv_unified ? n_seq : 1) + n_ub;
        swa_cells = (uint32_t)PAD(want < cells ? want : cells, 256);
    }

    /* ---- KV cache, per layer on its layer's device */
    int max_n_head = 0;
    uint64_t kv_cell_gpu[MEM_MAX_GPUS] = {0}, kv_cell_cpu = 0;
    for (int il = 0; il < h.n_layer; il++) {
        char k2[128];
        snprintf(key, sizeof(key), "%s.attention.head_count", arch);
        int n_head = (int)layer_int(f, key, il, 0);
        snprintf(k2, sizeof(k2), "%s.attention.head_count_kv", arch);
        int n_head_kv = (int)layer_int(f, k2, il, n_head);
        if (n_head < 0 || n_head > 65536 || n_head_kv > 65536)
            return set_err(err, "implausible head counts %d/%d in layer %d", n_head, n_head_kv, il);
        if (n_head > max_n_head)
            max_n_head = n_head;
        if (n_head_kv <= 0)
            continue;
        snprintf(key, sizeof(key), "%s.attention.key_length", arch);
        int64_t hk = gf_get_int(f, key, n_head ? h.n_embd / n_head : 0);
        snprintf(key, sizeof(key), "%s.attention.value_length", arch);
        int64_t hv = gf_get_int(f, key, n_head ? h.n_embd / n_head : 0);
        if (hk < 0 || hk > 65536 || hv < 0 || hv > 65536)
            return set_err(err, "implausible head size %lld/%lld", (long long)hk, (long long)hv);
        if (h.is_mla)
            n_head_kv = 1;
        bool swa = h.swa_period > 0 && (il % h.swa_period) < h.swa_period - 1;
        uint64_t c = swa ? swa_cells : cells;
        int g = p->no_kv_offload ? -1 : slot_gpu(p, h.n_layer, il);
        int64_t wk = hk * n_head_kv, wv = hv * n_head_kv;
        uint64_t kb = row_bytes((uint32_t)tk, (uint64_t)wk) * c * streams;
        uint64_t vb = h.is_mla ? 0 : row_bytes((uint32_t)tv, (uint64_t)wv) * c * streams;
        if (g >= 0) { /* a CUDA buffer pads quantized rows and aligns to 128 */
            kb = cuda_alloc((uint32_t)tk, wk, kb);
            vb = h.is_mla ? 0 : cuda_alloc((uint32_t)tv, wv, vb);
        } else {
            kb = PAD(kb, 32);
            vb = PAD(vb, 32);
        }
        struct mem_part *pt = g < 0 ? part(e, "CPU", "CPU", true)
                                    : part(e, gpu_name(g, gname, sizeof(gname)), gname, false);
        if (!pt)
            return set_err(err, "too many buffer types");
        pt->context += kb + vb;
        uint64_t per_cell = (row_bytes((uint32_t)tk, (uint64_t)(hk * n_head_kv)) +
                             (h.is_mla ? 0 : row_bytes((uint32_t)tv, (uint64_t)(hv * n_head_kv)))) *
                            streams;
        e->kv_per_cell += per_cell;
        if (g < 0)
            kv_cell_cpu += per_cell;
        else
            kv_cell_gpu[g] += per_cell;
    }

    /* ---- weights */
    struct ovr *ov = NULL;
    int n_ov = 0;
    int orc = parse_ovr(p, &ov, &n_ov, err);
    if (orc < 0) {
        for (int i = 0; i < n_ov; i++)
            regfree(&ov[i].re);
        free(ov);
        return orc;
    }
    bool mmap = p->use_mmap != 0;
    bool has_output = false;
    const struct gf_tensor *tok_embd = NULL;
    uint64_t span_lo = UINT64_MAX, span_hi = 0;
    uint64_t host_bytes = 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const struct gf_tensor *t = &f->tensors[i];
        if (strcmp(t->name, "output.weight") == 0)
            has_output = true;
        if (strcmp(t->name, "token_embd.weight") == 0)
            tok_embd = t;
        int slot = tensor_slot(t->name, h.n_layer);
        int g = slot_gpu(p, h.n_layer, slot);
        for (int k = 0; k < n_ov; k++)
            if (regexec(&ov[k].re, t->name, 0, NULL, 0) == 0) {
                ov[k].matched = true;
                g = ov[k].gpu ? (int)strtol(ov[k].buft + 4, NULL, 10) : -1;
                break;
            }
        if (g >= 0) {
            struct mem_part *pt = part(e, gpu_name(g, gname, sizeof(gname)), gname, false);
            if (pt)
                pt->model += cuda_bytes(t);
            continue;
        }
        /* on the CPU: matmul weights of repackable types go to CPU_REPACK */
        bool matmul = slot >= 0 && t->n_dims >= 2;
        if (matmul && repackable(p, t->type, t->ne[1])) {
            struct mem_part *pt = part(e, "CPU_REPACK", "CPU", true);
            if (pt)
                pt->model += PAD(t->n_bytes, 32);
            continue;
        }
        if (mmap) {
            uint64_t off = f->data_offset + t->offset;
            if (off < span_lo)
                span_lo = off;
            if (off + t->n_bytes > span_hi)
                span_hi = off + t->n_bytes;
        } else {
            host_bytes += PAD(t->n_bytes, 32);
        }
    }
    /* tied embeddings: the output matmul reads token_embd where the output layer is */
    if (!has_output && tok_embd) {
        int g = slot_gpu(p, h.n_layer, h.n_layer);
        if (g >= 0) {
            struct mem_part *pt = part(e, gpu_name(g, gname, sizeof(gname)), gname, false);
            if (pt)
                pt->model += cuda_bytes(tok_embd);
        } else if (repackable(p, tok_embd->type, tok_embd->ne[1])) {
            struct mem_part *pt = part(e, "CPU_REPACK", "CPU", true);
            if (pt)
                pt->model += PAD(tok_embd->n_bytes, 32);
        }
    }
    if (mmap && span_hi > span_lo) {
        struct mem_part *pt = part(e, "CPU_Mapped", "CPU", true);
        if (pt)
            pt->model += span_hi - span_lo;
    } else if (host_bytes) {
        struct mem_part *pt =
            p->n_gpus ? part(e, "CUDA_Host", "CPU", true) : part(e, "CPU", "CPU", true);
        if (pt)
            pt->model += host_bytes;
    }
    e->unmatched[0] = '\0';
    for (int k = 0; k < n_ov; k++) {
        if (!ov[k].matched && !e->unmatched[0])
            snprintf(e->unmatched, sizeof(e->unmatched), "%s", ov[k].pattern);
        regfree(&ov[k].re);
    }
    free(ov);

    /* ---- output buffer (host): logits of n_seq outputs */
    struct mem_part *po = part(e, p->n_gpus ? "CUDA_Host" : "CPU", "CPU", true);
    if (po)
        po->output += PAD((uint64_t)h.n_vocab * n_seq * 4, 32);

    /* ---- compute buffers: the worst of two phases of the reserved ubatch graph,
     * measured against llama.cpp's dry run on llama-architecture models:
     *   output: f32 logits 4*ub*n_vocab plus ub*(8*n_embd + 4) of live activations
     *           (+ 4*ub*n_embd of converted Q with flash attention over a quantized cache)
     *   attention without flash attention: f32 scores 4*ub*n_kv*n_head, the mask 4*ub*n_kv,
     *           and ub*(20*n_embd + 20 + 8*n_embd_k_gqa)
     * on the device of the output layer; a GPU backend also stages its inputs in host
     * memory (CUDA_Host): ub*(8*n_embd + 2*n_kv + 28), 4*n_kv without flash attention.
     * CUDA figures come from one H100 session (bench/results/h100-*): its compute buffer
     * is 4*ub*n_vocab + 4*ub*n_embd (8* with layers left on the CPU); not modelled there:
     * flash attention's extra scratch at n_kv >= 32k (+11 MiB f16, +48 MiB q8_0 at 32k).
     * Exact (within the 16 KiB slack added) on llama-like shapes; a narrow FFN (n_ff below
     * ~2.5*n_embd) lets the allocator fragment and can take 4-14% more. */
    uint64_t ub = n_ub, n_kv = cells, embd = (uint64_t)h.n_embd;
    int g_out = slot_gpu(p, h.n_layer, h.n_layer);
    uint64_t out_phase, attn = 0;
    snprintf(key, sizeof(key), "%s.attention.head_count_kv", arch);
    int64_t hkv = layer_int(f, key, 0, max_n_head);
    snprintf(key, sizeof(key), "%s.attention.key_length", arch);
    int64_t hk0 = gf_get_int(f, key, max_n_head ? h.n_embd / max_n_head : 0);
    if (hk0 < 0 || hk0 > 65536 || hkv < 0 || hkv > 65536)
        hk0 = hkv = 0;
    uint64_t scores = 4 * ub * n_kv * (uint64_t)max_n_head + 4 * ub * n_kv;
    if (g_out < 0) { /* the CPU backend */
        out_phase = 4 * ub * (uint64_t)h.n_vocab + ub * (8 * embd + 4);
        bool k_quant = ggml_type_info((uint32_t)tk)->blck > 1;
        if (e->flash_attn && (k_quant || v_quant))
            out_phase += 4 * ub * embd;
        if (!e->flash_attn)
            attn = scores + ub * (20 * embd + 20 + 8 * (uint64_t)(hkv * hk0));
    } else { /* CUDA, measured on an H100: one f32 activation beside the logits, two
              * when some layers stay on the CPU */
        int ngl = p->n_gpu_layers < 0 ? h.n_layer + 1 : p->n_gpu_layers;
        out_phase = 4 * ub * (uint64_t)h.n_vocab + (ngl <= h.n_layer ? 8 : 4) * ub * embd;
        if (!e->flash_attn)
            attn = scores + ub * (18 * embd + 16);
    }
    uint64_t compute = attn > out_phase ? attn : out_phase;
    /* the graph allocator's alignment and small tensors (ids, positions per sequence) */
    compute += 16384;
    struct mem_part *pc = g_out < 0 ? part(e, "CPU", "CPU", true)
                                    : part(e, gpu_name(g_out, gname, sizeof(gname)), gname, false);
    if (pc)
        pc->compute += compute;
    /* what a CUDA process takes beyond llama.cpp's buffers once its context exists
     * (cuBLAS workspace, the pool's first blocks): 4-7 MiB over 10 configurations on an
     * H100 (bench/results/h100-notes.md) */
    for (int g = 0; g < p->n_gpus; g++) {
        char rn[32];
        snprintf(rn, sizeof(rn), "CUDA%d runtime", g);
        struct mem_part *pr = part(e, rn, gpu_name(g, gname, sizeof(gname)), false);
        if (pr)
            pr->compute += MEM_CUDA_RUNTIME;
    }
    if (p->n_gpus > 0) {
        struct mem_part *ph = part(e, "CUDA_Host", "CPU", true);
        if (ph)
            ph->compute += ub * (8 * embd + (e->flash_attn ? 2 : 4) * n_kv + 28);
    }
    (void)kv_cell_cpu;
    (void)kv_cell_gpu;

    /* ---- bounds: where llama.cpp was seen to allocate more than the model above, a margin
     * per case that covers every measurement (bench/results/h100-notes.md, README) */
    const char *dout = g_out < 0 ? "CPU" : gpu_name(g_out, gname, sizeof(gname));
    int64_t kvw = hkv * hk0; /* K width of a layer: n_embd_k_gqa (V taken as wide) */
    bool kv_quant = ggml_type_info((uint32_t)tk)->blck > 1 || v_quant;
    if (g_out >= 0 && e->flash_attn && n_kv >= 16384)
        /* seen: -12.5 MiB at 16k, -60.5 MiB at 65k (f16 cache, ub 512): an f16 ub x n_kv
         * tile covers both */
        add_bound(e, dout, 2 * ub * n_kv,
                  "CUDA flash-attention scratch at n_kv >= 16k (not modelled exactly): "
                  "2 * n_ubatch * n_kv");
    if (g_out >= 0 && e->flash_attn && kv_quant && kvw > 0)
        /* seen: -34.5 MiB (q8_0, q4_0 at 16k), -44.2 MiB (q8_0 at 32k): f16 copies of one
         * layer's K and V */
        add_bound(e, dout, 2 * n_kv * 2 * (uint64_t)kvw,
                  "CUDA flash attention over a quantized cache converts K/V to f16 (not "
                  "modelled exactly): 2 * n_kv * (n_embd_k + n_embd_v)");
    int ngl_all = p->n_gpu_layers < 0 || p->n_gpu_layers > h.n_layer;
    if (g_out >= 0 && !ngl_all) {
        /* seen: -3.47% of the device at -ngl 5 -c 8192; 5% */
        uint64_t dev_total = mem_total(e, dout);
        add_bound(e, dout, dev_total / 20,
                  "layers on the CPU beside a GPU: its compute buffer grows (not modelled "
                  "exactly): 5% of the device");
    }
    snprintf(key, sizeof(key), "%s.feed_forward_length", arch);
    int64_t n_ff = layer_int(f, key, 0, 0);
    if (!h.n_expert && n_ff > 0 && 2 * n_ff < 5 * (int64_t)h.n_embd)
        /* seen: +4..14% of compute on the CPU (ggml's allocator fragments) */
        add_bound(e, dout, compute * 15 / 100,
                  "a narrow FFN (n_ff < 2.5 * n_embd) fragments the compute buffer (not "
                  "modelled exactly): 15% of compute");
    return 0;
}
