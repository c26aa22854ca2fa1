/* quantbench quality: perplexity of a text with llama-perplexity's method (src/measure/
 * ppl.h), in a worker; md or json rows with the model, settings, build and host. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../gguf/gguf.h"
#include "../measure/kld.h"
#include "../report/memsum.h"
#include "../report/table.h"
#include "../run/corpus.h"
#include "../run/runner.h"
#include "../store/dbrun.h"
#include "../util/json.h"
#include "../util/sha256.h"
#include "../util/sig.h"
#include "../util/util.h"
#include "cmd.h"
#include "single.h"

static const char quality_help[] =
    "usage: quantbench quality -m MODEL -f TEXT [flags]\n"
    "\n"
    "Perplexity as llama-perplexity computes it: the text tokenized with BOS, cut into\n"
    "chunks of -c tokens, each decoded from an empty cache with BOS as its first token, the\n"
    "second half of each chunk scored; several chunks per decode when -b allows. Prints\n"
    "PPL ± its standard error (llama-perplexity's: exp(mean NLL) * sd(NLL) / sqrt(tokens\n"
    "scored - 1)), and the running PPL per chunk in json (ppl, ppl_err, chunk_ppl).\n"
    "\n"
    "Flags (defaults in brackets):\n"
    "  -f, --file FILE             the text (any file)\n"
    "  --corpus NAME               a named text instead of -f: gpl-3, licenses (Debian's license\n"
    "                              texts), wikitext-2 (wiki.test.raw, put in the corpus\n"
    "                              directory: $QB_CORPUS_DIR, else ~/.cache/quantbench/corpora),\n"
    "                              or NAME[.txt] there; 'list' shows them\n"
    "  -c, --ctx-size N            tokens per chunk [512]\n"
    "  -b, --batch-size N          tokens per decode [2048]\n"
    "  --chunks N                  score the first N chunks [all]\n"
    "  --save-base FILE            also write the model's log-probabilities (llama-perplexity's\n"
    "                              _logits_ format, readable by its --kl-divergence-base), and\n"
    "                              FILE.model: the model's file and shape, which --base checks\n"
    "  --compact K                 --save-base in our compact format: per token the actual\n"
    "                              token's log-probability and the K most probable tokens\n"
    "                              (8 bytes each); KLD from it is that of the distributions\n"
    "                              coarsened to those K tokens plus the rest, a lower bound\n"
    "                              (README states the error measured)\n"
    "  --base FILE                 KL-divergence against a base model's log-probabilities\n"
    "                              (ours, full or compact, or llama-perplexity's); the tokens\n"
    "                              come from FILE, -f is not needed; prints\n"
    "                              llama-perplexity's statistics\n"
    "  (and -m -ub -t -ngl -ncmoe -ot -fa -ctk -ctv -nkvo -lm --timeout -o --progress -v as in\n"
    "  sweep; several models (-m A -m B, -m A,B) each give a row, e.g. quants against --base)\n"
    "\n" QB_EXIT_CODES_HELP;

static const struct table_col quality_cols[] = {
    {"model_type", "model", -30, TABLE_INT},   {"n_ctx", "n_ctx", 6, TABLE_INT},
    {"n_batch", "n_batch", 7, TABLE_INT},      {"n_chunks", "chunks", 6, TABLE_INT},
    {"count", "tokens scored", 13, TABLE_INT}, {"ppl", "PPL", 14, TABLE_MEAN_ERR},
    {"ppl_time_s", "time s", 8, TABLE_F2},
};

/* llama-perplexity's KL-divergence summary, as a markdown table */
static void print_kld(const cJSON *k)
{
    printf("\n| statistic | value |\n|---|---:|\n");
#define PM(label, key, scale, fmt)                                                                 \
    printf("| %s | " fmt " ± " fmt " |\n", label, (scale)*json_num(k, key),                        \
           (scale)*json_num(k, key "_err"))
    PM("Mean PPL(Q)", "ppl", 1.0, "%.6f");
    PM("Mean PPL(base)", "ppl_base", 1.0, "%.6f");
    printf("| Cor(ln(PPL(Q)), ln(PPL(base))) | %.2f%% |\n", 100 * json_num(k, "cor"));
    PM("Mean ln(PPL(Q)/PPL(base))", "ln_ratio", 1.0, "%.6f");
    PM("Mean PPL(Q)/PPL(base)", "ratio", 1.0, "%.6f");
    PM("Mean PPL(Q)-PPL(base)", "diff", 1.0, "%.6f");
    PM("Mean KLD", "kld", 1.0, "%.6f");
    static const char *const kl[] = {"Maximum KLD", "99.9% KLD",  "99.0% KLD",  "95.0% KLD",
                                     "90.0% KLD",   "Median KLD", "10.0% KLD",  "5.0% KLD",
                                     "1.0% KLD",    "0.1% KLD",   "Minimum KLD"};
    const cJSON *kp = cJSON_GetObjectItemCaseSensitive(k, "kld_percentiles");
    for (int i = 0; i < 11; i++) {
        const cJSON *v = cJSON_GetArrayItem(kp, i);
        printf("| %s | %.6f |\n", kl[i], v ? v->valuedouble : 0);
    }
    PM("Mean Δp", "dp", 100.0, "%.3f%%");
    static const char *const pl[] = {"Maximum Δp", "99.9% Δp",  "99.0% Δp",  "95.0% Δp", "90.0% Δp",
                                     "75.0% Δp",   "Median Δp", "25.0% Δp",  "10.0% Δp", "5.0% Δp",
                                     "1.0% Δp",    "0.1% Δp",   "Minimum Δp"};
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(k, "dp_percentiles");
    for (int i = 0; i < 13; i++) {
        const cJSON *v = cJSON_GetArrayItem(pp, i);
        printf("| %s | %.3f%% |\n", pl[i], 100 * (v ? v->valuedouble : 0));
    }
    PM("RMS Δp", "rms_dp", 100.0, "%.3f%%");
    PM("Same top p", "same_top", 100.0, "%.3f%%");
#undef PM
}

/* The shape of a model, which its quantizations keep: "llama, 2 layers, 256 wide, 4 heads
 * (2 kv), 32000 tokens"; NULL with err. */
static char *model_shape(const char *model, char *err)
{
    struct gf_file *g;
    if (gf_read_file(model, &g, err) < 0)
        return NULL;
    const char *arch = gf_get_str(g, "general.architecture");
    char k[160];
#define ARCH_INT(key) (snprintf(k, sizeof(k), "%s." key, arch ? arch : ""), gf_get_int(g, k, 0))
    char *s = xasprintf(
        "%s, %lld layers, %lld wide, %lld heads (%lld kv), %llu tokens", arch ? arch : "?",
        (long long)ARCH_INT("block_count"), (long long)ARCH_INT("embedding_length"),
        (long long)ARCH_INT("attention.head_count"), (long long)ARCH_INT("attention.head_count_kv"),
        (unsigned long long)gf_get_arr_n(g, "tokenizer.ggml.tokens"));
#undef ARCH_INT
    gf_free(g);
    return s;
}

/* --save-base also writes FILE.model: the shape of the model and its file, two lines */
static int save_base_model(const char *base, const char *model, char *err)
{
    char *shape = model_shape(model, err);
    if (!shape)
        return -1;
    char *side = xasprintf("%s.model", base), *text = xasprintf("%s\n%s\n", shape, model);
    int rc = write_file_atomic(side, text, err);
    free(text);
    free(shape);
    free(side);
    return rc;
}

/* --base: when FILE.model says which model the file came from, this one must have its
 * shape (a quantization keeps it; another model of the same tokenizer does not) */
static int check_base_model(const char *base, const char *model, char *err)
{
    char *side = xasprintf("%s.model", base);
    size_t len;
    char *text = read_file(side, 1 << 16, &len, err);
    free(side);
    if (!text)
        return 0; /* llama-perplexity's files come without one */
    char *nl = strchr(text, '\n'), *file = nl ? nl + 1 : (char *)"";
    if (nl)
        *nl = '\0';
    file[strcspn(file, "\n")] = '\0';
    char *shape = model_shape(model, err);
    int rc = 0;
    if (shape && strcmp(shape, text) != 0)
        rc = set_err(
            err, "'%s' holds the log-probabilities of '%s' (%s); '%s' is %s: not the same model",
            base, file, text, model, shape);
    free(shape);
    free(text);
    return rc;
}

/* a perplexity run's chunks as the worker finishes them */
static void on_chunk(long done, long total, void *ud)
{
    progress_set_total(ud, total);
    progress_update(ud, done);
}

/* t (its text, base and settings) for o->model: *row (NULL when it failed: the error is
 * printed) and the exit code */
static int quality_model(const struct single_opts *o, const struct work_test *t, const char *corpus,
                         cJSON **row_out)
{
    char err[QB_ERR_LEN];
    const char *text = t->text_path, *base = t->ppl_mode == 2 ? t->base_path : NULL,
               *save_base = t->ppl_mode == 1 ? t->base_path : NULL;
    *row_out = NULL;
    struct runner rn;
    struct work_load wl = {0, 0};
    runner_init(&rn, o->model, &o->mp, &wl, o->verbose, o->timeout_s);
    char what[96];
    single_opts_what(o, "quality", what, sizeof(what));
    struct progress prog;
    progress_begin(&prog, o->progress, what, "chunk", 0);
    rn.on_units = on_chunk;
    rn.units_ud = &prog;
    enum bench_status st = BENCH_STATUS_ERROR;
    cJSON *resp = NULL, *req = proto_run_req(t);
    int ok = runner_ensure(&rn, &st, err) == 0 && runner_call(&rn, req, &resp, &st, err) == 0;
    progress_end(&prog);
    cJSON_Delete(req);
    int ret = QB_EXIT_OK;
    if (!ok)
        runner_remove_tmp(&rn, save_base); /* what a dead worker was writing */
    if (!ok && rn.kind == QB_KIND_INTERRUPTED) {
        ret = QB_EXIT_FAIL; /* said by main */
    } else if (!ok) {
        /* the message of an input's failure names its file; others are the model's */
        if (rn.kind == QB_KIND_INPUT || base || save_base)
            error("%s", err);
        else
            error("'%s': %s", o->model, err);
        ret = qb_kind_exit(rn.kind);
    } else {
        cJSON *row = *row_out = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "text", text);
        cJSON_AddStringToObject(row, "corpus", corpus ? corpus : "");
        char tid[160];
        cJSON_AddStringToObject(row, "text_id", file_quick_id(text, tid, err) == 0 ? tid : "");
        cJSON_AddNumberToObject(row, "n_seq", t->cp.n_seq_max);
        /* ppl_err: llama-perplexity's standard error of the PPL, exp(mean) * sd(NLL) /
         * sqrt(count - 1); there is no ppl_sd: one pass has no repetitions to spread */
        const char *nums[] = {"n_tokens", "n_chunks", "count", "nll", "nll2", "ppl", "ppl_err"};
        for (size_t k = 0; k < QB_ARRAY_LEN(nums); k++)
            cJSON_AddNumberToObject(row, nums[k], json_num(resp, nums[k]));
        cJSON_AddNumberToObject(row, "ppl_time_s", json_num(resp, "ppl_ns") / 1e9);
        const cJSON *cp = cJSON_GetObjectItemCaseSensitive(resp, "chunk_ppl");
        cJSON_AddItemToObject(row, "chunk_ppl", cp ? cJSON_Duplicate(cp, 1) : cJSON_CreateArray());
        cJSON_AddStringToObject(row, "base", base ? base : "");
        cJSON_AddStringToObject(row, "saved_base", save_base ? save_base : "");
        const cJSON *kld = cJSON_GetObjectItemCaseSensitive(resp, "kld");
        if (kld)
            cJSON_AddItemToObject(row, "kld", cJSON_Duplicate(kld, 1));
        cJSON_AddStringToObject(row, "status", "ok");
        if (save_base && save_base_model(save_base, o->model, err) < 0) {
            error("%s", err);
            ret = QB_EXIT_FAIL;
        }
        /* the settings as run: the chunk size (a --base file's own), the batches as
         * llama-perplexity's context caps them */
        struct single_opts as_run = *o;
        as_run.cp.n_ctx = (uint32_t)json_num(resp, "n_ctx");
        as_run.cp.n_batch = t->cp.n_batch;
        as_run.cp.n_ubatch = t->cp.n_ubatch;
        single_opts_json(&as_run, row);
        runner_row_meta(&rn, row);
        const cJSON *mem = cJSON_GetObjectItemCaseSensitive(resp, "mem");
        struct mem_summary ms;
        mem_summary_from(mem, &ms);
        mem_summary_add(row, &ms, mem);
    }
    cJSON_Delete(resp);
    runner_release(&rn);
    return ret;
}

/* cmd_quality; *cfp is the --corpus file, freed by the caller whatever the way out */
static int quality_run(int argc, char **argv, char **cfp)
{
    struct single_opts o;
    single_opts_init(&o);
    o.cp.n_ctx = 512;
    const char *text = NULL, *save_base = NULL, *base = NULL, *corpus = NULL;
    int n_chunks = -1, topk = 0;
    char err[QB_ERR_LEN];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool used = false;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(quality_help, stdout);
            return QB_EXIT_OK;
        }
        if (!strcmp(a, "-f") || !strcmp(a, "--file")) {
            if (!v)
                return usage_error("quality", "%s needs a value", a);
            text = v;
            i++;
            continue;
        }
        if (!strcmp(a, "--corpus")) {
            if (!v)
                return usage_error("quality", "%s needs a value", a);
            if (!strcmp(v, "list")) {
                corpus_list(stdout);
                return QB_EXIT_OK;
            }
            free(*cfp);
            if (!(*cfp = corpus_path(v, err))) {
                error("%s", err);
                return QB_EXIT_INPUT;
            }
            corpus = v;
            text = *cfp;
            i++;
            continue;
        }
        if (!strcmp(a, "--save-base") || !strcmp(a, "--base")) {
            if (!v)
                return usage_error("quality", "%s needs a value", a);
            *(a[2] == 's' ? &save_base : &base) = v;
            i++;
            continue;
        }
        if (!strcmp(a, "--compact")) {
            if (!v || parse_int(v, 1, KLD_TOPK_MAX, &topk) < 0)
                return usage_error("quality",
                                   "invalid value '%s' for --compact (expected an integer in "
                                   "1..%d)",
                                   v ? v : "", KLD_TOPK_MAX);
            i++;
            continue;
        }
        if (!strcmp(a, "--chunks")) {
            if (!v || parse_int(v, 1, 1 << 24, &n_chunks) < 0)
                return usage_error("quality",
                                   "invalid value '%s' for --chunks (expected an integer in "
                                   "1..16777216)",
                                   v ? v : "");
            i++;
            continue;
        }
        int rc = single_opts_flag(&o, a, v, &used, err);
        if (rc < 0)
            return usage_error("quality", "%s", err);
        if (rc == 0)
            return usage_error("quality", "unknown flag '%s'", a);
        if (used)
            i++;
    }
    if (!text && !base)
        return usage_error("quality", "missing -f TEXT (or --base FILE)");
    if (base && save_base)
        return usage_error("quality", "--base and --save-base exclude each other");
    if (save_base) { /* never write over an input: the base file and its sidecar */
        char *side = xasprintf("%s.model", save_base);
        const char *in[] = {o.model, text}, *what[] = {"the model (-m)", "the text (-f)"};
        int rc = 0;
        for (size_t k = 0; k < QB_ARRAY_LEN(in) && !rc; k++)
            if (in[k] && (same_file(in[k], save_base) || same_file(in[k], side)))
                rc = usage_error("quality", "--save-base '%s' would overwrite %s '%s'", save_base,
                                 what[k], in[k]);
        free(side);
        if (rc)
            return rc;
    }
    if (topk && !save_base)
        return usage_error("quality", "--compact goes with --save-base");
    if (o.cp.n_ubatch > o.cp.n_batch) /* as llama.cpp: the physical batch fits the logical */
        o.cp.n_ubatch = o.cp.n_batch;
    int rc = single_opts_check(&o, "quality");
    if (rc)
        return rc;
    if (save_base && o.n_models > 1)
        return usage_error(
            "quality", "--save-base writes the log-probabilities of one model, not %d", o.n_models);
    struct work_test t;
    memset(&t, 0, sizeof(t));
    t.kind = WORK_PPL;
    t.pl.n_ctx = (int)o.cp.n_ctx;
    if (base) {
        /* the chunk size and vocabulary are the base file's: check it against every model */
        struct kld_file kf;
        if (kld_file_open(base, &kf, err) < 0) {
            error("%s", err);
            return QB_EXIT_INPUT;
        }
        for (int k = 0; k < o.n_models; k++) {
            struct gf_file *g = NULL;
            if (gf_read_file(o.models[k], &g, err) == 0) {
                uint64_t nv = gf_get_arr_n(g, "tokenizer.ggml.tokens");
                gf_free(g);
                if (nv && nv != (uint64_t)kf.n_vocab) {
                    error("'%s' holds log-probabilities over %d tokens, the vocabulary of '%s' "
                          "has %llu",
                          base, kf.n_vocab, o.models[k], (unsigned long long)nv);
                    kld_file_close(&kf);
                    return QB_EXIT_INPUT;
                }
            }
            if (check_base_model(base, o.models[k], err) < 0) {
                error("%s", err);
                kld_file_close(&kf);
                return QB_EXIT_INPUT;
            }
        }
        t.pl.n_ctx = (int)kf.n_ctx;
        kld_file_close(&kf);
        t.ppl_mode = 2;
        snprintf(t.base_path, sizeof(t.base_path), "%s", base);
        text = base;
    } else {
        FILE *tf = fopen_regular(text, err);
        if (!tf) {
            error("%s", err);
            return QB_EXIT_INPUT;
        }
        fclose(tf);
        if (save_base) {
            t.ppl_mode = 1;
            t.topk = topk;
            snprintf(t.base_path, sizeof(t.base_path), "%s", save_base);
        }
    }
    t.pl.n_batch = (int)o.cp.n_batch;
    t.pl.n_chunks = n_chunks;
    snprintf(t.text_path, sizeof(t.text_path), "%s", text);
    t.cp = o.cp;
    ppl_ctx_params(&t.pl, &t.cp);
    t.pt.reps = 1;
    t.pt.seed = o.seed;
    struct table_out out;
    struct table_col cols[QB_ARRAY_LEN(quality_cols) + SINGLE_EXTRA_COLS];
    int n_cols = single_opts_cols(&o, quality_cols, (int)QB_ARRAY_LEN(quality_cols), cols);
    bool begun = false; /* the table starts at its first row: a failed model writes nothing */
    int rcs[SINGLE_MAX_MODELS], n_run = 0;
    cJSON *klds[SINGLE_MAX_MODELS] = {0}; /* md: the KL-divergence tables, after the rows */
    for (int k = 0; k < o.n_models && !dbrun_should_stop() && !(k && single_stopped(rcs[k - 1]));
         k++) {
        o.model = o.models[k];
        cJSON *row = NULL;
        rcs[k] = quality_model(&o, &t, corpus, &row);
        n_run = k + 1;
        if (!row)
            continue;
        if (!begun)
            table_begin(&out, stdout, o.fmt, cols, n_cols);
        begun = true;
        table_row(&out, row);
        dbrun_row("quality", row);
        const cJSON *kld = cJSON_GetObjectItemCaseSensitive(row, "kld");
        if (kld && o.fmt == BENCH_FMT_MD)
            klds[k] = cJSON_Duplicate(kld, 1);
        cJSON_Delete(row);
    }
    if (begun)
        table_end(&out);
    for (int k = 0; k < o.n_models; k++) {
        if (!klds[k])
            continue;
        if (o.n_models > 1) { /* file names are outside text */
            char *qm = str_escape(o.models[k], 0), *qb = str_escape(base, 0);
            printf("\n### KL-divergence of '%s' against '%s'\n", qm, qb);
            free(qm);
            free(qb);
        }
        print_kld(klds[k]);
        cJSON_Delete(klds[k]);
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        return error("cannot write results to stdout");
    return single_exit_code(rcs, n_run);
}

int cmd_quality(int argc, char **argv)
{
    char *corpus_file = NULL;
    int rc = quality_run(argc, argv, &corpus_file);
    free(corpus_file);
    return rc;
}
