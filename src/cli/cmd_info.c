/* quantbench info: facts about a GGUF model read from its metadata and tensor
 * directory with our own parser (no model is loaded, nothing from llama.cpp). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gguf/gguf.h"
#include "../gguf/imatrix.h"
#include "../report/table.h"
#include "cmd.h"

static const char info_help[] =
    "usage: quantbench info MODEL [-o md|json|jsonl]\n"
    "\n"
    "Shows a GGUF model's architecture, parameter count, file size, file type, tensor-\n"
    "type histogram, layers, heads, KV heads, head sizes, training context, experts,\n"
    "vocabulary size and bytes per parameter. Reads only the file's header. One MODEL (a\n"
    "second is a usage error).\n"
    "\n"
    "An importance matrix (llama-imatrix's GGUF or legacy .dat) is shown as such: its\n"
    "datasets, chunks, and per weight the values per row, matrices (experts), tokens seen\n"
    "and the mean, min and max of the values llama-quantize would use.\n"
    "\n"
    "Flags:\n"
    "  -o, --output FMT   md (default, a readable table), json, or jsonl (the json on one\n"
    "                     line)\n"
    "\n" QB_EXIT_CODES_HELP;

struct type_row {
    uint32_t type;
    uint64_t n_tensors, n_params, n_bytes;
};

struct model_facts {
    const char *arch, *name, *ftype_name;
    const char *imx_file, *imx_dataset; /* quantize.imatrix.*: the rung's importance matrix */
    int64_t imx_entries, imx_chunks;
    int64_t ftype;
    uint64_t n_params, n_bytes, file_size;
    int64_t n_layer, n_embd, n_head, n_head_kv, head_k, head_v, n_ctx_train, n_ff, n_expert,
        n_expert_used, n_vocab;
    struct type_row rows[GGML_TYPE_ID_COUNT];
    int n_rows;
};

static int64_t arch_int(const struct gf_file *f, const char *arch, const char *key, int64_t def)
{
    char k[160];
    snprintf(k, sizeof(k), "%s.%s", arch, key);
    const struct gf_kv *kv = gf_find(f, k);
    /* per-layer arrays (e.g. head_count_kv on some archs): take the first element */
    if (kv && kv->val.type == GF_VT_ARRAY && kv->val.v.arr.n > 0 &&
        (kv->val.v.arr.type == GF_VT_UINT32 || kv->val.v.arr.type == GF_VT_INT32)) {
        int32_t v;
        memcpy(&v, kv->val.v.arr.data, 4);
        return v;
    }
    return gf_get_int(f, k, def);
}

static void facts(const struct gf_file *f, struct model_facts *m)
{
    memset(m, 0, sizeof(*m));
    m->arch = gf_get_str(f, "general.architecture");
    if (!m->arch)
        m->arch = "unknown";
    m->name = gf_get_str(f, "general.name");
    m->ftype = gf_get_int(f, "general.file_type", -1);
    m->ftype_name = llama_ftype_name_short((int)m->ftype);
    m->file_size = f->file_size;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const struct gf_tensor *t = &f->tensors[i];
        uint64_t n = 1;
        for (uint32_t d = 0; d < t->n_dims; d++)
            n *= (uint64_t)t->ne[d];
        m->n_params += n;
        m->n_bytes += t->n_bytes;
        int r;
        for (r = 0; r < m->n_rows && m->rows[r].type != t->type; r++)
            ;
        if (r == m->n_rows) {
            m->rows[r].type = t->type;
            m->n_rows++;
        }
        m->rows[r].n_tensors++;
        m->rows[r].n_params += n;
        m->rows[r].n_bytes += t->n_bytes;
    }
    m->n_layer = arch_int(f, m->arch, "block_count", 0);
    m->n_embd = arch_int(f, m->arch, "embedding_length", 0);
    m->n_head = arch_int(f, m->arch, "attention.head_count", 0);
    m->n_head_kv = arch_int(f, m->arch, "attention.head_count_kv", m->n_head);
    int64_t hd = m->n_head ? m->n_embd / m->n_head : 0;
    m->head_k = arch_int(f, m->arch, "attention.key_length", hd);
    m->head_v = arch_int(f, m->arch, "attention.value_length", hd);
    m->n_ctx_train = arch_int(f, m->arch, "context_length", 0);
    m->n_ff = arch_int(f, m->arch, "feed_forward_length", 0);
    m->n_expert = arch_int(f, m->arch, "expert_count", 0);
    m->n_expert_used = arch_int(f, m->arch, "expert_used_count", 0);
    m->imx_file = gf_get_str(f, "quantize.imatrix.file");
    m->imx_dataset = gf_get_str(f, "quantize.imatrix.dataset");
    m->imx_entries = gf_get_int(f, "quantize.imatrix.entries_count", 0);
    m->imx_chunks = gf_get_int(f, "quantize.imatrix.chunks_count", 0);
    m->n_vocab = (int64_t)gf_get_arr_n(f, "tokenizer.ggml.tokens");
    if (!m->n_vocab)
        m->n_vocab = arch_int(f, m->arch, "vocab_size", 0);
}

/* "| field | value |" with the value (the path, the file's own strings) escaped: no
 * terminal escape, no '|' or newline that would break the table */
static void md_field(const char *field, const char *value)
{
    printf("| %s | ", field);
    fput_escaped(value, STR_ESC_MD, stdout);
    fputs(" |\n", stdout);
}

static void print_md(const char *path, const struct model_facts *m)
{
    char b1[32], b2[32];
    double bpp = m->n_params ? (double)m->n_bytes / (double)m->n_params : 0;
    printf("| field | value |\n|---|---|\n");
    md_field("file", path);
    printf("| file size | %s (%llu bytes) |\n", fmt_bytes(b1, sizeof(b1), m->file_size),
           (unsigned long long)m->file_size);
    md_field("architecture", m->arch);
    if (m->name)
        md_field("name", m->name);
    printf("| file type | %s (%lld) |\n", m->ftype_name ? m->ftype_name : "unknown",
           (long long)m->ftype);
    printf("| parameters | %.2f M (%llu) |\n", (double)m->n_params / 1e6,
           (unsigned long long)m->n_params);
    printf("| weights size | %s |\n", fmt_bytes(b2, sizeof(b2), m->n_bytes));
    printf("| bytes per parameter | %.4f (%.2f bits) |\n", bpp, bpp * 8);
    printf("| layers | %lld |\n| embedding | %lld |\n| feed-forward | %lld |\n",
           (long long)m->n_layer, (long long)m->n_embd, (long long)m->n_ff);
    printf("| heads | %lld |\n| kv heads | %lld |\n| head size k/v | %lld/%lld |\n",
           (long long)m->n_head, (long long)m->n_head_kv, (long long)m->head_k,
           (long long)m->head_v);
    printf("| training context | %lld |\n| vocab size | %lld |\n", (long long)m->n_ctx_train,
           (long long)m->n_vocab);
    printf("| experts | %lld (used %lld) |\n", (long long)m->n_expert, (long long)m->n_expert_used);
    if (m->imx_file) {
        char *v = xasprintf("%s (%lld entries, %lld chunks of %s)", m->imx_file,
                            (long long)m->imx_entries, (long long)m->imx_chunks,
                            m->imx_dataset ? m->imx_dataset : "?");
        md_field("importance matrix", v);
        free(v);
    }
    printf("\n| tensor type | tensors | parameters | size |\n|---|---:|---:|---:|\n");
    for (int r = 0; r < m->n_rows; r++)
        printf("| %s | %llu | %llu | %s |\n", ggml_type_info(m->rows[r].type)->name,
               (unsigned long long)m->rows[r].n_tensors, (unsigned long long)m->rows[r].n_params,
               fmt_bytes(b1, sizeof(b1), m->rows[r].n_bytes));
}

static void print_json(const char *path, const struct model_facts *m, bool one_line)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", path);
    cJSON_AddNumberToObject(o, "file_size", (double)m->file_size);
    cJSON_AddStringToObject(o, "architecture", m->arch);
    if (m->name)
        cJSON_AddStringToObject(o, "name", m->name);
    cJSON_AddNumberToObject(o, "file_type_id", (double)m->ftype);
    cJSON_AddStringToObject(o, "file_type", m->ftype_name ? m->ftype_name : "unknown");
    cJSON_AddNumberToObject(o, "n_params", (double)m->n_params);
    cJSON_AddNumberToObject(o, "weights_bytes", (double)m->n_bytes);
    cJSON_AddNumberToObject(o, "bytes_per_param",
                            m->n_params ? (double)m->n_bytes / (double)m->n_params : 0);
    cJSON_AddNumberToObject(o, "n_layer", (double)m->n_layer);
    cJSON_AddNumberToObject(o, "n_embd", (double)m->n_embd);
    cJSON_AddNumberToObject(o, "n_ff", (double)m->n_ff);
    cJSON_AddNumberToObject(o, "n_head", (double)m->n_head);
    cJSON_AddNumberToObject(o, "n_head_kv", (double)m->n_head_kv);
    cJSON_AddNumberToObject(o, "head_size_k", (double)m->head_k);
    cJSON_AddNumberToObject(o, "head_size_v", (double)m->head_v);
    cJSON_AddNumberToObject(o, "n_ctx_train", (double)m->n_ctx_train);
    cJSON_AddNumberToObject(o, "n_vocab", (double)m->n_vocab);
    cJSON_AddNumberToObject(o, "n_expert", (double)m->n_expert);
    cJSON_AddNumberToObject(o, "n_expert_used", (double)m->n_expert_used);
    if (m->imx_file) {
        cJSON *im = cJSON_AddObjectToObject(o, "imatrix");
        cJSON_AddStringToObject(im, "file", m->imx_file);
        cJSON_AddStringToObject(im, "dataset", m->imx_dataset ? m->imx_dataset : "");
        cJSON_AddNumberToObject(im, "entries", (double)m->imx_entries);
        cJSON_AddNumberToObject(im, "chunks", (double)m->imx_chunks);
    }
    cJSON *h = cJSON_AddArrayToObject(o, "tensor_types");
    for (int r = 0; r < m->n_rows; r++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "type", ggml_type_info(m->rows[r].type)->name);
        cJSON_AddNumberToObject(e, "n_tensors", (double)m->rows[r].n_tensors);
        cJSON_AddNumberToObject(e, "n_params", (double)m->rows[r].n_params);
        cJSON_AddNumberToObject(e, "n_bytes", (double)m->rows[r].n_bytes);
        cJSON_AddItemToArray(h, e);
    }
    char *s = one_line ? cJSON_PrintUnformatted(o) : cJSON_Print(o);
    printf("%s\n", s);
    free(s);
    cJSON_Delete(o);
}

/* an importance matrix: what it was computed on, and per weight what quantize would use */
static int info_imatrix(const char *path, enum bench_fmt fmt)
{
    const bool json = fmt == BENCH_FMT_JSON || fmt == BENCH_FMT_JSONL;
    struct imatrix im;
    char err[QB_ERR_LEN];
    if (imatrix_read_file(path, &im, err) < 0) {
        error("%s", err);
        return QB_EXIT_INPUT;
    }
    cJSON *o = cJSON_CreateObject(), *es = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "file", path);
    cJSON_AddStringToObject(o, "kind", "imatrix");
    cJSON_AddStringToObject(o, "format", im.legacy ? "legacy" : "gguf");
    cJSON *ds = cJSON_AddArrayToObject(o, "datasets");
    for (size_t i = 0; i < im.n_datasets; i++)
        cJSON_AddItemToArray(ds, cJSON_CreateString(im.datasets[i]));
    cJSON_AddNumberToObject(o, "chunk_count", im.chunk_count);
    cJSON_AddNumberToObject(o, "chunk_size", im.chunk_size);
    cJSON_AddNumberToObject(o, "n_entries", (double)im.n);
    for (size_t i = 0; i < im.n; i++) {
        const struct imatrix_entry *e = &im.e[i];
        float *v = imatrix_values(&im, e);
        double sum = 0, lo = e->n_sums ? v[0] : 0, hi = lo;
        int64_t tokens = 0;
        for (int64_t k = 0; k < e->n_sums; k++) {
            sum += v[k];
            lo = v[k] < lo ? v[k] : lo;
            hi = v[k] > hi ? v[k] : hi;
        }
        for (int j = 0; j < e->n_counts; j++)
            tokens += e->counts[j];
        free(v);
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "name", e->name);
        cJSON_AddNumberToObject(r, "n_values", (double)(e->n_sums / e->n_counts));
        cJSON_AddNumberToObject(r, "n_matrices", e->n_counts);
        /* the legacy format counts calls, not tokens */
        cJSON_AddNumberToObject(r, im.legacy ? "calls" : "tokens", (double)tokens);
        cJSON_AddNumberToObject(r, "mean", e->n_sums ? sum / (double)e->n_sums : 0);
        cJSON_AddNumberToObject(r, "min", lo);
        cJSON_AddNumberToObject(r, "max", hi);
        cJSON_AddItemToArray(es, r);
    }
    cJSON_AddItemToObject(o, "entries", es);
    if (json) {
        char *s = fmt == BENCH_FMT_JSONL ? cJSON_PrintUnformatted(o) : cJSON_Print(o);
        printf("%s\n", s);
        free(s);
    } else {
        printf("| field | value |\n|---|---|\n");
        md_field("file", path);
        printf("| kind | importance matrix (%s) |\n",
               im.legacy ? "llama-imatrix's legacy format" : "GGUF");
        md_field("datasets", im.n_datasets ? im.datasets[0] : "-");
        if (im.chunk_size > 0)
            printf("| chunks | %d of %d tokens |\n", im.chunk_count, im.chunk_size);
        else
            printf("| chunks | %d |\n", im.chunk_count);
        printf("| entries | %zu |\n", im.n);
        printf("\n| weight | values | matrices | %s | mean | min | max |\n"
               "|---|---:|---:|---:|---:|---:|---:|\n",
               im.legacy ? "calls" : "tokens");
        const cJSON *r;
        cJSON_ArrayForEach (r, es) {
            fputs("| ", stdout);
            fput_escaped(cJSON_GetObjectItem(r, "name")->valuestring, STR_ESC_MD, stdout);
            printf(" | %.0f | %.0f | %.0f | %.6g | %.6g | %.6g |\n",
                   cJSON_GetObjectItem(r, "n_values")->valuedouble,
                   cJSON_GetObjectItem(r, "n_matrices")->valuedouble,
                   cJSON_GetObjectItem(r, im.legacy ? "calls" : "tokens")->valuedouble,
                   cJSON_GetObjectItem(r, "mean")->valuedouble,
                   cJSON_GetObjectItem(r, "min")->valuedouble,
                   cJSON_GetObjectItem(r, "max")->valuedouble);
        }
    }
    cJSON_Delete(o);
    imatrix_free(&im);
    return fflush(stdout) == 0 ? QB_EXIT_OK : error("cannot write to stdout");
}

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    enum bench_fmt fmt = BENCH_FMT_MD;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(info_help, stdout);
            return QB_EXIT_OK;
        } else if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
            if (i + 1 >= argc)
                return usage_error("info", "%s needs a value", argv[i]);
            char err[QB_ERR_LEN];
            const unsigned fmts = BENCH_FMT_BIT(BENCH_FMT_MD) | BENCH_FMT_BIT(BENCH_FMT_JSON) |
                                  BENCH_FMT_BIT(BENCH_FMT_JSONL);
            if (bench_fmt_flag(argv[++i], fmts, NULL, &fmt, err) < 0)
                return usage_error("info", "%s", err);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage_error("info", "unknown flag '%s'", argv[i]);
        } else if (path) {
            return usage_error("info", "more than one model given ('%s')", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return usage_error("info", "missing MODEL");
    struct gf_file *f;
    char err[QB_ERR_LEN];
    int rc = gf_read_file(path, &f, err);
    if (rc < 0) {
        /* not GGUF: perhaps a legacy importance matrix */
        struct imatrix im;
        char err2[QB_ERR_LEN];
        if (rc == GF_NOT_GGUF && imatrix_read_file(path, &im, err2) == 0) {
            imatrix_free(&im);
            return info_imatrix(path, fmt);
        }
        error("%s", err);
        return QB_EXIT_INPUT;
    }
    const char *gtype = gf_get_str(f, "general.type");
    if (gtype && strcmp(gtype, "imatrix") == 0) {
        gf_free(f);
        return info_imatrix(path, fmt);
    }
    struct model_facts m;
    facts(f, &m);
    if (fmt == BENCH_FMT_JSON || fmt == BENCH_FMT_JSONL)
        print_json(path, &m, fmt == BENCH_FMT_JSONL);
    else
        print_md(path, &m);
    gf_free(f);
    return fflush(stdout) == 0 ? QB_EXIT_OK : error("cannot write to stdout");
}
