/* quantbench quality: perplexity of a text with llama-perplexity's method (src/measure/
 * ppl.h), in a worker; md or json rows with the model, settings, build and host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../measure/kld.h"
#include "../report/table.h"
#include "../run/corpus.h"
#include "../run/quality.h"
#include "../store/dbrun.h"
#include "../util/json.h"
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
    "                              llama-perplexity's statistics\n";

static const char quality_help_tail[] = "\n" QB_EXIT_CODES_HELP;

static const struct table_col quality_cols[] = {
    {"model_type", "model", -30, TABLE_INT},   {"n_ctx", "n_ctx", 6, TABLE_INT},
    {"n_batch", "n_batch", 7, TABLE_INT},      {"n_chunks", "chunks", 6, TABLE_INT},
    {"count", "tokens scored", 13, TABLE_INT}, {"ppl", "PPL", 14, TABLE_MEAN_ERR},
    {"ppl_time_s", "time s", 8, TABLE_F2},
};

/* llama-perplexity's KL-divergence summary, as a markdown table */
static void print_kld(const struct kld_stats *k)
{
    printf("\n| statistic | value |\n|---|---:|\n");
#define PM(label, v, scale, fmt)                                                                   \
    printf("| %s | " fmt " ± " fmt " |\n", label, (scale)*k->v, (scale)*k->v##_err)
    PM("Mean PPL(Q)", ppl, 1.0, "%.6f");
    PM("Mean PPL(base)", ppl_base, 1.0, "%.6f");
    printf("| Cor(ln(PPL(Q)), ln(PPL(base))) | %.2f%% |\n", 100 * k->cor);
    PM("Mean ln(PPL(Q)/PPL(base))", ln_ratio, 1.0, "%.6f");
    PM("Mean PPL(Q)/PPL(base)", ratio, 1.0, "%.6f");
    PM("Mean PPL(Q)-PPL(base)", diff, 1.0, "%.6f");
    PM("Mean KLD", kld, 1.0, "%.6f");
    static const char *const kl[] = {"Maximum KLD", "99.9% KLD",  "99.0% KLD",  "95.0% KLD",
                                     "90.0% KLD",   "Median KLD", "10.0% KLD",  "5.0% KLD",
                                     "1.0% KLD",    "0.1% KLD",   "Minimum KLD"};
    for (size_t i = 0; i < QB_ARRAY_LEN(kl); i++)
        printf("| %s | %.6f |\n", kl[i], k->kld_pct[i]);
    PM("Mean Δp", dp, 100.0, "%.3f%%");
    static const char *const pl[] = {"Maximum Δp", "99.9% Δp",  "99.0% Δp",  "95.0% Δp", "90.0% Δp",
                                     "75.0% Δp",   "Median Δp", "25.0% Δp",  "10.0% Δp", "5.0% Δp",
                                     "1.0% Δp",    "0.1% Δp",   "Minimum Δp"};
    for (size_t i = 0; i < QB_ARRAY_LEN(pl); i++)
        printf("| %s | %.3f%% |\n", pl[i], 100 * k->dp_pct[i]);
    PM("RMS Δp", rms_dp, 100.0, "%.3f%%");
    PM("Same top p", same_top, 100.0, "%.3f%%");
#undef PM
}

/* what a model's row goes to: the table, the database, the KLD tables after it */
struct quality_out {
    const struct single_opts *o;
    struct progress prog;
    struct table_out *out;
    const struct table_col *cols;
    int n_cols;
    bool *begun;           /* the table starts at its first row: a failed model writes nothing */
    struct kld_stats *kld; /* md: this model's KL-divergence statistics, printed after the rows */
    bool *have_kld;        /* *kld was filled */
};

static void on_row(const struct quality_row *r, void *ud)
{
    struct quality_out *qo = ud;
    cJSON *row = quality_row_new(r, qo->o->reps);
    if (!*qo->begun)
        table_begin(qo->out, stdout, qo->o->fmt, qo->cols, qo->n_cols);
    *qo->begun = true;
    table_row(qo->out, row);
    dbrun_row("quality", row);
    if (r->has_kld && qo->o->fmt == BENCH_FMT_MD) {
        *qo->kld = r->kld;
        *qo->have_kld = true;
    }
    cJSON_Delete(row);
}

/* p for o->model, its row into qo; the exit code (the error is printed) */
static int quality_model(const struct single_opts *o, const struct quality_params *p,
                         struct quality_out *qo)
{
    char err[QB_ERR_LEN];
    char what[96];
    single_opts_what(o, "quality", what, sizeof(what));
    progress_begin(&qo->prog, o->progress, what, "chunk", 0);
    struct quality_sink sink = {on_row, qo, progress_units, &qo->prog};
    enum qb_kind kind = quality_run(p, &sink, err);
    progress_end(&qo->prog);
    if (kind == QB_KIND_OK)
        return QB_EXIT_OK;
    if (kind == QB_KIND_INTERRUPTED)
        return QB_EXIT_FAIL; /* said by main */
    /* the message of an input's failure names its file; others are the model's */
    if (kind == QB_KIND_INPUT || p->mode != WORK_PPL_PLAIN)
        error("%s", err);
    else
        error("'%s': %s", o->model, err);
    return qb_kind_exit(kind);
}

/* cmd_quality; *cfp is the --corpus file, freed by the caller whatever the way out */
static int quality_main(int argc, char **argv, char **cfp)
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
            /* the shared settings' flags from their table: every one quality takes */
            fputs(quality_help, stdout);
            static const char *const own[] = {"-c", "-b", NULL}; /* quality's, above */
            fputs("  (and -m", stdout);
            single_opts_flag_names(stdout, own);
            fputs("\n  --timeout -o --progress -v as in sweep; several models (-m A -m B, -m A,B)\n"
                  "  each give a row, e.g. quants against --base)\n",
                  stdout);
            fputs(quality_help_tail, stdout);
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
    struct quality_params p = {.model = NULL,
                               .mp = o.mp,
                               .cp = o.cp,
                               .mode = WORK_PPL_PLAIN,
                               .text = text,
                               .corpus = corpus,
                               .n_chunks = n_chunks,
                               .seed = o.seed,
                               .verbose = o.verbose,
                               .timeout_s = o.timeout_s};
    if (base) {
        /* the chunk size and vocabulary are the base file's: check it against every model */
        for (int k = 0; k < o.n_models; k++)
            if (quality_check_base(base, o.models[k], NULL, err) != QB_KIND_OK) {
                error("%s", err);
                return QB_EXIT_INPUT;
            }
        p.mode = WORK_PPL_KLD;
        p.base = base;
        p.text = NULL;
    } else {
        FILE *tf = fopen_regular(text, err);
        if (!tf) {
            error("%s", err);
            return QB_EXIT_INPUT;
        }
        fclose(tf);
        if (save_base) {
            p.mode = WORK_PPL_SAVE_BASE;
            p.topk = topk;
            p.base = save_base;
        }
    }
    struct table_out out;
    struct table_col cols[QB_ARRAY_LEN(quality_cols) + SINGLE_EXTRA_COLS];
    int n_cols = single_opts_cols(&o, quality_cols, (int)QB_ARRAY_LEN(quality_cols), cols);
    bool begun = false; /* the table starts at its first row: a failed model writes nothing */
    int rcs[SINGLE_MAX_MODELS], n_run = 0;
    static struct kld_stats
        klds[SINGLE_MAX_MODELS]; /* md: the KL-divergence tables, after the rows */
    bool have_kld[SINGLE_MAX_MODELS] = {0};
    for (int k = 0; k < o.n_models && !dbrun_should_stop() && !(k && single_stopped(rcs[k - 1]));
         k++) {
        o.model = p.model = o.models[k];
        struct quality_out qo = {&o, {0}, &out, cols, n_cols, &begun, &klds[k], &have_kld[k]};
        rcs[k] = quality_model(&o, &p, &qo);
        n_run = k + 1;
    }
    if (begun)
        table_end(&out);
    for (int k = 0; k < o.n_models; k++) {
        if (!have_kld[k])
            continue;
        if (o.n_models > 1) { /* file names are outside text */
            char *qm = str_escape(o.models[k], 0), *qb = str_escape(base, 0);
            printf("\n### KL-divergence of '%s' against '%s'\n", qm, qb);
            free(qm);
            free(qb);
        }
        print_kld(&klds[k]);
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        return error("cannot write results to stdout");
    return single_exit_code(rcs, n_run);
}

int cmd_quality(int argc, char **argv)
{
    char *corpus_file = NULL;
    int rc = quality_main(argc, argv, &corpus_file);
    free(corpus_file);
    return rc;
}
