/* quantbench synth: write a random-weight GGUF of the llama architecture (dense or
 * mixture-of-experts) with a real tokenizer copied from one of llama.cpp's vocab
 * files. Deterministic for a given seed: every tensor's values come from a
 * generator seeded by (seed, tensor index). Quantized types go through llama.cpp's
 * quantizer from an F32 intermediate. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engine/engine.h"
#include "../gguf/gguf.h"
#include "../record/args.h"
#include "../util/rng.h"
#include "../util/sig.h"
#include "cmd.h"

#ifndef QB_DEFAULT_VOCAB
#define QB_DEFAULT_VOCAB ""
#endif

struct synth_params {
    const char *out;
    const char *vocab;
    const char *name;
    const char *chat_template; /* tokenizer.chat_template; NULL: the vocab file's, if any */
    int n_layer, n_embd, n_head, n_head_kv, n_ff, n_ctx, n_expert, n_expert_used;
    int ftype; /* llama file type id */
    int n_threads;
    uint64_t seed;
};

static const char synth_help[] =
    "usage: quantbench synth -o FILE [flags]\n"
    "\n"
    "Writes a random-weight GGUF model of the llama architecture, dense or mixture-of-\n"
    "experts, with tokenizer data taken from a llama.cpp vocab file. The same flags and\n"
    "seed always give a byte-identical file.\n"
    "\n"
    "Flags:\n"
    "  -o, --output FILE       file to write (required; written atomically)\n"
    "  --layers N              transformer blocks (default 2)\n"
    "  --embd N                embedding width (default 256)\n"
    "  --heads N               attention heads (default 4)\n"
    "  --kv-heads N            key/value heads, divides --heads (default: --heads)\n"
    "  --ff N                  feed-forward width, per expert for MoE (default 4 x embd)\n"
    "  --ctx N                 training context length (default 4096)\n"
    "  --experts N             experts per layer; 0 = dense (default 0)\n"
    "  --experts-used K        experts used per token (default 2 when --experts > 0)\n"
    "  --type T                F32, F16 (default) or any llama-quantize type (Q8_0, Q4_K_M, ...)\n"
    "  --vocab FILE            vocab GGUF (default: $QB_VOCAB, else llama.cpp's\n"
    "                          models/ggml-vocab-llama-spm.gguf)\n"
    "  --name NAME             general.name (default quantbench-synth)\n"
    "  --chat-template T       tokenizer.chat_template: a jinja template or the name of one of\n"
    "                          llama.cpp's (chatml, llama3, phi3, ...) (default: the vocab\n"
    "                          file's, if it has one)\n"
    "  --seed N                random seed (default 42)\n"
    "  -t, --threads N         threads for quantizing (default 2)\n"
    "\n" QB_EXIT_CODES_HELP;

/* ---- deterministic values ---- */

/* IEEE half from float, round to nearest even (no dependence on the host's F16C) */
static uint16_t f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffffu;
    if (((x >> 23) & 0xff) == 0xff)
        return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (exp <= 0) {
        if (exp < -10)
            return (uint16_t)sign;
        mant |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t half = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)exp << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1)))
        half++;
    return (uint16_t)half;
}

struct tdesc {
    char name[96];
    int64_t ne[3];
    uint32_t n_dims;
    int kind; /* 0 = weight matrix, 1 = norm (ones) */
};

struct synth_state {
    const struct synth_params *p;
    struct tdesc *t;
    size_t n;
    uint32_t type; /* ggml type written: 0 f32, 1 f16 */
};

static int fill(void *ud, size_t idx, void *buf, uint64_t n_bytes)
{
    struct synth_state *st = ud;
    const struct tdesc *t = &st->t[idx];
    uint64_t n = (uint64_t)t->ne[0] * (uint64_t)t->ne[1] * (uint64_t)t->ne[2];
    uint64_t s = st->p->seed * 0x100000001b3ull + idx + 1;
    float scale = 1.0f / sqrtf((float)t->ne[0]);
    bool f16 = st->type == 1 && t->kind == 0;
    if ((f16 ? 2 : 4) * n != n_bytes)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        float v;
        if (t->kind == 1) {
            v = 1.0f;
        } else {
            /* uniform in [-sqrt(3), sqrt(3)) * scale: unit variance rows, like an init */
            double u = (double)(rng_next(&s) >> 11) / 9007199254740992.0;
            v = (float)((2.0 * u - 1.0) * 1.7320508) * scale;
        }
        if (f16)
            ((uint16_t *)buf)[i] = f32_to_f16(v);
        else
            ((float *)buf)[i] = v;
    }
    return 0;
}

static void add(struct synth_state *st, const char *name, int64_t a, int64_t b, int64_t c,
                uint32_t n_dims, int kind)
{
    st->t = xrealloc(st->t, (st->n + 1) * sizeof(*st->t));
    struct tdesc *t = &st->t[st->n++];
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->ne[0] = a;
    t->ne[1] = b;
    t->ne[2] = c;
    t->n_dims = n_dims;
    t->kind = kind;
}

static int synth_write(const struct synth_params *p, const char *path, uint32_t type, char *err)
{
    struct gf_file *voc = NULL;
    struct gf_writer *w = NULL;
    struct synth_state st = {.p = p, .type = type};
    int ret = -1;
    if (gf_read_file(p->vocab, &voc, err) < 0)
        goto out;
    uint64_t n_vocab = gf_get_arr_n(voc, "tokenizer.ggml.tokens");
    if (n_vocab == 0) {
        set_err(err, "'%s': no tokenizer.ggml.tokens, not a vocab file", p->vocab);
        goto out;
    }
    w = gf_writer_new();
    int head_dim = p->n_embd / p->n_head;
    gf_writer_set_str(w, "general.architecture", "llama");
    gf_writer_set_str(w, "general.name", p->name);
    gf_writer_set_u32(w, "general.file_type", type == 1 ? 1 : 0);
    gf_writer_set_u32(w, "llama.context_length", (uint32_t)p->n_ctx);
    gf_writer_set_u32(w, "llama.embedding_length", (uint32_t)p->n_embd);
    gf_writer_set_u32(w, "llama.block_count", (uint32_t)p->n_layer);
    gf_writer_set_u32(w, "llama.feed_forward_length", (uint32_t)p->n_ff);
    gf_writer_set_u32(w, "llama.attention.head_count", (uint32_t)p->n_head);
    gf_writer_set_u32(w, "llama.attention.head_count_kv", (uint32_t)p->n_head_kv);
    gf_writer_set_u32(w, "llama.rope.dimension_count", (uint32_t)head_dim);
    gf_writer_set_f32(w, "llama.rope.freq_base", 10000.0f);
    gf_writer_set_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gf_writer_set_u32(w, "llama.vocab_size", (uint32_t)n_vocab);
    if (p->n_expert > 0) {
        gf_writer_set_u32(w, "llama.expert_count", (uint32_t)p->n_expert);
        gf_writer_set_u32(w, "llama.expert_used_count", (uint32_t)p->n_expert_used);
    }
    for (uint64_t i = 0; i < voc->n_kv; i++)
        if (strncmp(voc->kv[i].key, "tokenizer.", 10) == 0)
            gf_writer_set(w, voc->kv[i].key, &voc->kv[i].val);
    if (p->chat_template)
        gf_writer_set_str(w, "tokenizer.chat_template", p->chat_template);

    int64_t E = p->n_embd, F = p->n_ff, V = (int64_t)n_vocab, X = p->n_expert;
    int64_t kv = (int64_t)head_dim * p->n_head_kv;
    char nm[96];
    add(&st, "token_embd.weight", E, V, 1, 2, 0);
    add(&st, "output_norm.weight", E, 1, 1, 1, 1);
    add(&st, "output.weight", E, V, 1, 2, 0);
    for (int l = 0; l < p->n_layer; l++) {
#define T(suffix, a, b, c, nd, kind)                                                               \
    do {                                                                                           \
        snprintf(nm, sizeof(nm), "blk.%d.%s", l, suffix);                                          \
        add(&st, nm, a, b, c, nd, kind);                                                           \
    } while (0)
        T("attn_norm.weight", E, 1, 1, 1, 1);
        T("attn_q.weight", E, E, 1, 2, 0);
        T("attn_k.weight", E, kv, 1, 2, 0);
        T("attn_v.weight", E, kv, 1, 2, 0);
        T("attn_output.weight", E, E, 1, 2, 0);
        T("ffn_norm.weight", E, 1, 1, 1, 1);
        if (X > 0) {
            T("ffn_gate_inp.weight", E, X, 1, 2, 0);
            T("ffn_gate_exps.weight", E, F, X, 3, 0);
            T("ffn_up_exps.weight", E, F, X, 3, 0);
            T("ffn_down_exps.weight", F, E, X, 3, 0);
        } else {
            T("ffn_gate.weight", E, F, 1, 2, 0);
            T("ffn_up.weight", E, F, 1, 2, 0);
            T("ffn_down.weight", F, E, 1, 2, 0);
        }
#undef T
    }
    for (size_t i = 0; i < st.n; i++) {
        /* norms and the router stay F32, as llama.cpp's converters write them */
        uint32_t tt = st.t[i].kind == 1 ? 0 : type;
        if (strstr(st.t[i].name, "ffn_gate_inp"))
            tt = 0, st.t[i].kind = 2;
        gf_writer_add_tensor(w, st.t[i].name, tt, st.t[i].ne, st.t[i].n_dims);
    }
    ret = gf_writer_write(w, path, fill, &st, err);
out:
    free(st.t);
    gf_writer_free(w);
    gf_free(voc);
    return ret;
}

static int need_int(const char *flag, const char *v, int min, int max, int *out, int *rc)
{
    if (!v) {
        *rc = usage_error("synth", "%s needs a value", flag);
        return -1;
    }
    if (parse_int(v, min, max, out) < 0) {
        *rc = usage_error("synth", "invalid value '%s' for %s (expected an integer in %d..%d)", v,
                          flag, min, max);
        return -1;
    }
    return 0;
}

int cmd_synth(int argc, char **argv)
{
    struct synth_params p = {
        .vocab = QB_DEFAULT_VOCAB,
        .name = "quantbench-synth",
        .n_layer = 2,
        .n_embd = 256,
        .n_head = 4,
        .n_head_kv = 0,
        .n_ff = 0,
        .n_ctx = 4096,
        .n_expert = 0,
        .n_expert_used = 0,
        .ftype = 1,
        .n_threads = 2,
        .seed = 42,
    };
    int rc = QB_EXIT_USAGE;
    if (getenv("QB_VOCAB") && *getenv("QB_VOCAB"))
        p.vocab = getenv("QB_VOCAB");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(synth_help, stdout);
            return QB_EXIT_OK;
        }
        int consumed = 1;
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (!v)
                return usage_error("synth", "%s needs a value", a);
            p.out = v;
        } else if (strcmp(a, "--vocab") == 0) {
            if (!v)
                return usage_error("synth", "%s needs a value", a);
            p.vocab = v;
        } else if (strcmp(a, "--chat-template") == 0) {
            if (!v)
                return usage_error("synth", "%s needs a value", a);
            p.chat_template = v;
        } else if (strcmp(a, "--name") == 0) {
            if (!v)
                return usage_error("synth", "%s needs a value", a);
            p.name = v;
        } else if (strcmp(a, "--type") == 0) {
            if (!v)
                return usage_error("synth", "%s needs a value", a);
            p.ftype = llama_ftype_by_name(v);
            if (p.ftype < 0)
                return usage_error("synth", "unknown type '%s' (F32, F16, BF16, Q8_0, Q4_K_M, ...)",
                                   v);
        } else if (strcmp(a, "--seed") == 0) {
            int64_t s;
            if (!v || parse_i64(v, 0, INT64_MAX, &s) < 0)
                return usage_error("synth", "invalid value '%s' for --seed", v ? v : "");
            p.seed = (uint64_t)s;
        } else if (strcmp(a, "--layers") == 0) {
            if (need_int(a, v, 1, 1024, &p.n_layer, &rc) < 0)
                return rc;
        } else if (strcmp(a, "--embd") == 0) {
            if (need_int(a, v, 1, 1 << 16, &p.n_embd, &rc) < 0)
                return rc;
        } else if (strcmp(a, "--heads") == 0) {
            if (need_int(a, v, 1, 1024, &p.n_head, &rc) < 0)
                return rc;
        } else if (strcmp(a, "--kv-heads") == 0) {
            if (need_int(a, v, 1, 1024, &p.n_head_kv, &rc) < 0)
                return rc;
        } else if (strcmp(a, "--ff") == 0) {
            if (need_int(a, v, 1, 1 << 20, &p.n_ff, &rc) < 0)
                return rc;
        } else if (strcmp(a, "--ctx") == 0) {
            if (need_int(a, v, 1, 1 << 24, &p.n_ctx, &rc) < 0)
                return rc;
        } else if (strcmp(a, "--experts") == 0) {
            if (need_int(a, v, 0, 1024, &p.n_expert, &rc) < 0)
                return rc;
        } else if (strcmp(a, "--experts-used") == 0) {
            if (need_int(a, v, 1, 1024, &p.n_expert_used, &rc) < 0)
                return rc;
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
            if (need_int(a, v, 1, 1024, &p.n_threads, &rc) < 0)
                return rc;
        } else {
            return usage_error("synth", "unknown flag '%s'", a);
        }
        i += consumed;
    }
    if (!p.out)
        return usage_error("synth", "missing -o FILE");
    if (!p.vocab[0])
        return usage_error("synth", "no default vocab file is known; pass --vocab FILE");
    if (p.n_head_kv == 0)
        p.n_head_kv = p.n_head;
    if (p.n_ff == 0)
        p.n_ff = 4 * p.n_embd;
    if (p.n_embd % p.n_head)
        return usage_error("synth", "--embd %d is not a multiple of --heads %d", p.n_embd,
                           p.n_head);
    if (p.n_head % p.n_head_kv)
        return usage_error("synth", "--heads %d is not a multiple of --kv-heads %d", p.n_head,
                           p.n_head_kv);
    if ((p.n_embd / p.n_head) % 2)
        return usage_error("synth", "head size %d must be even (rope)", p.n_embd / p.n_head);
    if (p.n_expert > 0 && p.n_expert_used == 0)
        p.n_expert_used = p.n_expert < 2 ? p.n_expert : 2;
    if (p.n_expert_used > 0 && p.n_expert == 0)
        return usage_error("synth", "--experts-used needs --experts");
    if (p.n_expert_used > p.n_expert)
        return usage_error("synth", "--experts-used %d exceeds --experts %d", p.n_expert_used,
                           p.n_expert);

    char err[QB_ERR_LEN];
    if (p.ftype == 0 || p.ftype == 1) {
        if (synth_write(&p, p.out, (uint32_t)p.ftype, err) < 0)
            return error("%s", err);
        return QB_EXIT_OK;
    }
    /* quantized: F32 intermediate next to the output, then llama.cpp's quantizer */
    char *tmp = xasprintf("%s.f32.tmp.%ld", p.out, (long)getpid());
    char *tmp_q = xasprintf("%s.q.tmp.%ld", p.out, (long)getpid());
    sig_tmp_add(tmp); /* a signal that ends the process removes them */
    sig_tmp_add(tmp_q);
    int ret = QB_EXIT_OK;
    if (synth_write(&p, tmp, 0, err) < 0) {
        ret = error("%s", err);
        goto out;
    }
    engine_global_init(0);
    if (engine_quantize(tmp, tmp_q, p.ftype, p.n_threads, NULL, NULL, err) < 0) {
        ret = error("%s", err);
        goto out;
    }
    if (rename(tmp_q, p.out) < 0)
        ret = error("cannot rename '%s' to '%s': %s", tmp_q, p.out, strerror(errno));
out:
    unlink(tmp);
    unlink(tmp_q);
    sig_tmp_remove(tmp);
    sig_tmp_remove(tmp_q);
    free(tmp);
    free(tmp_q);
    return ret;
}
