/* mem's output: md, csv, json and jsonl of a mem run's models (see memprint.h). */
#include "memprint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../report/table.h"
#include "../util/log.h"

/* the probe's buffer of type buft, or NULL (none, or no probe) */
static const struct engine_mem_buf *find_buf(const struct mem_probe *pr, const char *buft)
{
    for (int i = 0; pr && i < pr->bufs.n; i++)
        if (!strcmp(pr->bufs.b[i].buft, buft))
            return &pr->bufs.b[i];
    return NULL;
}

static uint64_t buf_total(const struct engine_mem_buf *b)
{
    return b ? b->model + b->context + b->compute + b->output : 0;
}

/* a model's dry run (k 0) and measurement (k 1): NULL when not made */
static const struct mem_probe *probe_of(const struct mem_model *m, int k)
{
    return k == 0 ? (m->have_dry ? &m->dry : NULL) : (m->have_meas ? &m->meas : NULL);
}

/* the devices of an estimate and measurements, in order of first appearance */
static int devices(const struct mem_model *m, char names[][32], int max)
{
    int n = 0;
    for (int i = 0; i <= m->est.n + 16 * 2 && n < max; i++) {
        const char *d = NULL;
        if (i < m->est.n) {
            d = m->est.p[i].dev;
        } else {
            int k = (i - m->est.n) / 16, j = (i - m->est.n) % 16;
            if (k > 1)
                break;
            const struct mem_probe *pr = probe_of(m, k);
            d = pr && j < pr->bufs.n ? pr->bufs.b[j].dev : NULL;
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

static void mib(char *buf, size_t n, uint64_t b)
{
    snprintf(buf, n, "%.2f", (double)b / 1048576.0);
}

/* the estimate's part of buffer type buft (the last one), or NULL */
static const struct mem_part *find_part(const struct mem_estimate *e, const char *buft)
{
    const struct mem_part *p = NULL;
    for (int i = 0; i < e->n; i++)
        if (!strcmp(e->p[i].buft, buft))
            p = &e->p[i];
    return p;
}

/* c[0..5): a part's weights, KV, compute, output and total MiB; "-" each without one */
static void part_cells(const struct mem_part *p, char (*c)[32])
{
    if (!p) {
        for (int k = 0; k < 5; k++)
            snprintf(c[k], 32, "-");
        return;
    }
    mib(c[0], 32, p->model);
    mib(c[1], 32, p->context);
    mib(c[2], 32, p->compute);
    mib(c[3], 32, p->output);
    mib(c[4], 32, p->model + p->context + p->compute + p->output);
}

/* The buffer types on device dev, at most max: the estimate's, then any only the dry run or
 * the measurement has */
static int device_bufts(const struct mem_model *m, const char *dev, char (*bufts)[32], int max)
{
    const struct mem_estimate *e = &m->est;
    int nb = 0;
    for (int i = 0; i < e->n && nb < max; i++)
        if (!strcmp(e->p[i].dev, dev))
            snprintf(bufts[nb++], 32, "%s", e->p[i].buft);
    for (int k = 0; k < 2; k++)
        for (int i = 0; probe_of(m, k) && i < probe_of(m, k)->bufs.n; i++) {
            const char *bd = probe_of(m, k)->bufs.b[i].dev, *bn = probe_of(m, k)->bufs.b[i].buft;
            int j;
            for (j = 0; j < nb && strcmp(bufts[j], bn); j++)
                ;
            if (!strcmp(bd, dev) && j == nb && nb < max)
                snprintf(bufts[nb++], 32, "%s", bn);
        }
    return nb;
}

static void md_model(const struct mem_model *m)
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
        const struct mem_probe *mems[2] = {probe_of(m, 0), probe_of(m, 1)};
        int nb = device_bufts(m, devs[d], bufts, 24);
        for (int j = 0; j < nb; j++) {
            char c[6][32];
            part_cells(find_part(e, bufts[j]), c);
            printf("| %s | %s | %s | %s | %s | %s | %s |", devs[d], bufts[j], c[0], c[1], c[2],
                   c[3], c[4]);
            for (int k = 0; k < 2; k++) {
                const struct engine_mem_buf *mb = find_buf(mems[k], bufts[j]);
                if (!mems[k] || !mb) {
                    printf(" %s |", mems[k] ? "0.00" : k == 0 && m->other_hw[0] ? "n/a" : "-");
                    continue;
                }
                mib(c[5], 32, buf_total(mb));
                printf(" %s |", c[5]);
            }
            printf("\n");
        }
        char t[3][32];
        mib(t[0], 32, mem_total(e, devs[d]));
        printf("| %s | **total** | | | | | **%s** |", devs[d], t[0]);
        for (int k = 0; k < 2; k++) {
            if (mems[k])
                mib(t[1], 32, mem_probe_total(mems[k], devs[d]));
            printf(" %s |", mems[k] ? t[1] : k == 0 && m->other_hw[0] ? "n/a" : "-");
        }
        printf("\n");
    }
    if (e->n_bound) {
        printf("\n");
        for (int i = 0; i < e->n_bound; i++)
            printf("+ %.2f MiB bound on %s: %s\n", (double)e->bound[i].bytes / 1048576.0,
                   e->bound[i].dev, e->bound[i].why);
        for (int d = 0; d < nd; d++)
            if (mem_bounds(e, devs[d]))
                printf("plan on %s: %.2f MiB (the estimate %.2f + bounds %.2f)\n", devs[d],
                       (double)mem_plan(e, devs[d]) / 1048576.0,
                       (double)mem_total(e, devs[d]) / 1048576.0,
                       (double)mem_bounds(e, devs[d]) / 1048576.0);
    }
    if (m->have_meas) {
        const struct mem_probe *pr = &m->meas;
        printf("\nmeasured: peak RSS %.2f MiB (RSS %.2f MiB: anon %.2f, file %.2f)",
               (double)pr->rss_peak / 1048576.0, (double)pr->rss / 1048576.0,
               (double)pr->rss_anon / 1048576.0, (double)pr->rss_file / 1048576.0);
        for (int i = 0; i < pr->n_dev; i++)
            if (pr->dev[i].gpu)
                printf("; %s free %.2f of %.2f MiB", pr->dev[i].name,
                       (double)pr->dev[i].free / 1048576.0, (double)pr->dev[i].total / 1048576.0);
        printf("\n");
    }
    if (m->other_hw[0])
        printf("\ndry run: n/a, %s\n", mem_model_other_hw_note(m));
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
static void csv_models(const struct mem_model *m, int n, uint64_t budget)
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
        const struct mem_probe *mems[2] = {probe_of(&m[k], 0), probe_of(&m[k], 1)};
        char devs[16][32], fit[48];
        snprintf(fit, sizeof(fit), "%u%s", m[k].fit_ctx,
                 m[k].fit_capped ? " (training context)" : "");
        int nd = devices(&m[k], devs, 16);
        for (int d = 0; d < nd; d++) {
            /* this device's buffer types: the estimate's, then any only measured */
            char bufts[25][32];
            int nb = device_bufts(&m[k], devs[d], bufts, 24);
            snprintf(bufts[nb++], 32, "total");
            for (int i = 0; i < e->n_bound; i++) {
                if (strcmp(e->bound[i].dev, devs[d]))
                    continue;
                char bmib[32], bname[224];
                mib(bmib, sizeof(bmib), e->bound[i].bytes);
                snprintf(bname, sizeof(bname), "bound: %s", e->bound[i].why);
                const char *cells[] = {m[k].path, devs[d], bname, "", "", "",
                                       "",        bmib,    "",    "", fit};
                text_table_row(&t, cells);
            }
            for (int j = 0; j < nb; j++) {
                bool total = j == nb - 1;
                char c[7][32];
                for (int i = 0; i < 7; i++)
                    c[i][0] = '\0';
                if (total)
                    mib(c[4], 32, mem_total(e, devs[d]));
                else
                    part_cells(find_part(e, bufts[j]), c);
                for (int i = 0; i < 2; i++) {
                    const struct engine_mem_buf *mb = total ? NULL : find_buf(mems[i], bufts[j]);
                    if (!mems[i])
                        snprintf(c[5 + i], 32, "%s", i == 0 && m[k].other_hw[0] ? "n/a" : "-");
                    else if (total)
                        mib(c[5 + i], 32, mem_probe_total(mems[i], devs[d]));
                    else
                        mib(c[5 + i], 32, buf_total(mb));
                }
                const char *cells[] = {m[k].path, devs[d], bufts[j], c[0], c[1], c[2],
                                       c[3],      c[4],    c[5],     c[6], fit};
                text_table_row(&t, cells);
            }
        }
        if (m[k].other_hw[0])
            log_printf("quantbench: warning: '%s': dry run: n/a, %s\n", m[k].path,
                       mem_model_other_hw_note(&m[k]));
        if (m[k].dry_err[0])
            log_printf("quantbench: warning: '%s': dry run failed: %s\n", m[k].path, m[k].dry_err);
        if (m[k].meas_err[0])
            log_printf("quantbench: warning: '%s': measurement failed: %s\n", m[k].path,
                       m[k].meas_err);
    }
}

int mem_print(enum bench_fmt fmt, const struct mem_model *m, int n, uint64_t budget)
{
    if (fmt == BENCH_FMT_CSV) {
        csv_models(m, n, budget);
        return fflush(stdout) == 0 ? 0 : -1;
    }
    if (fmt == BENCH_FMT_JSON || fmt == BENCH_FMT_JSONL) {
        cJSON *root = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(root, "models");
        uint64_t sum = mem_models_need(m, n);
        for (int k = 0; k < n; k++) {
            cJSON *o = mem_estimate_json(&m[k].est);
            cJSON_AddStringToObject(o, "model", m[k].path);
            cJSON_AddNumberToObject(o, "n_seq", m[k].mp.n_seq);
            cJSON_AddNumberToObject(o, "n_ubatch", m[k].mp.n_ubatch);
            cJSON_AddStringToObject(o, "type_k", m[k].mp.type_k);
            cJSON_AddStringToObject(o, "type_v", m[k].mp.type_v);
            if (m[k].have_dry)
                cJSON_AddItemToObject(o, "dry_run", cJSON_Duplicate(m[k].dry.json, 1));
            else if (m[k].dry_err[0])
                cJSON_AddStringToObject(o, "dry_run_error", m[k].dry_err);
            else if (m[k].other_hw[0])
                cJSON_AddStringToObject(o, "dry_run_note", mem_model_other_hw_note(&m[k]));
            if (m[k].have_meas)
                cJSON_AddItemToObject(o, "measured", cJSON_Duplicate(m[k].meas.json, 1));
            else if (m[k].meas_err[0])
                cJSON_AddStringToObject(o, "measured_error", m[k].meas_err);
            if (budget) {
                cJSON_AddNumberToObject(o, "fit_ctx", m[k].fit_ctx);
                /* fit_ctx is the training context, and more would fit */
                cJSON_AddBoolToObject(o, "fit_ctx_capped", m[k].fit_capped);
                /* the most parallel sequences of fit_np_ctx tokens each */
                cJSON_AddNumberToObject(o, "fit_np", m[k].fit_np);
                cJSON_AddNumberToObject(o, "fit_np_ctx", m[k].fit_np_ctx);
                cJSON_AddBoolToObject(o, "fit_np_capped", m[k].fit_np_capped);
            }
            cJSON_AddItemToArray(arr, o);
        }
        if (budget) {
            cJSON *b = cJSON_AddObjectToObject(root, "budget");
            cJSON_AddNumberToObject(b, "bytes", (double)budget);
            cJSON_AddStringToObject(b, "device", n ? mem_model_budget_dev(&m[0]) : "CPU");
            cJSON_AddNumberToObject(b, "need_bytes", (double)sum);
            cJSON_AddBoolToObject(b, "fits", sum <= budget);
            cJSON_AddNumberToObject(b, "left_bytes", sum <= budget ? (double)(budget - sum) : 0);
        }
        int rc = 0;
        if (fmt == BENCH_FMT_JSONL) { /* a line per model, then the budget's */
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
        uint64_t sum = mem_models_need(m, n);
        printf("## budget %.2f MiB on %s\n\n", (double)budget / 1048576.0,
               n ? mem_model_budget_dev(&m[0]) : "CPU");
        printf("together %.2f MiB: %s", (double)sum / 1048576.0,
               sum <= budget ? "fits" : "does NOT fit");
        if (sum <= budget)
            printf(", %.2f MiB left", (double)(budget - sum) / 1048576.0);
        printf("\n\n| model | n_ctx | largest n_ctx that fits with the others | most -np that fit "
               "(n_ctx per sequence) |\n|---|---:|---:|---:|\n");
        bool capped = false, np_capped = false;
        for (int k = 0; k < n; k++) {
            fputs("| ", stdout);
            fput_escaped(m[k].path, STR_ESC_MD, stdout);
            printf(" | %u | %u%s | %u (%u%s) |\n", m[k].est.n_ctx, m[k].fit_ctx,
                   m[k].fit_capped ? " (training context)" : "", m[k].fit_np, m[k].fit_np_ctx,
                   m[k].fit_np_capped ? ", the training context" : "");
            capped |= m[k].fit_capped;
            np_capped |= m[k].fit_np_capped;
        }
        printf("\n-np: llama.cpp divides -c among the sequences (n_ctx per sequence = -c / -np, "
               "padded to 256); the most sequences of this model's n_ctx per sequence whose "
               "plan fits, up to %d\n",
               MEM_MAX_SEQ);
        if (np_capped)
            printf("\n(the training context): n_ctx per sequence asked exceeds the model's own "
                   "context length; the sequences were solved at that length\n");
        if (capped)
            printf("\n(training context): the model's own context length; more would fit, but "
                   "the model was not trained for it (llama.cpp warns)\n");
    }
    return fflush(stdout) == 0 ? 0 : -1;
}
