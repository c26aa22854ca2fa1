/* The suite table (report --suite, the end of run) from hand-made cells as
 * store_suite_cells returns them: two groups, a crashed and a missing cell, figures no
 * row gives; md, csv and json checked whole. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

#include "../../src/report/suite_table.h"
#include "../../src/util/util.h"
#include "test.h"

/* JSON written with ' for " (the fixture reads better without escapes) */
static cJSON *json_q(const char *text)
{
    char *t = xstrdup(text);
    for (char *p = t; *p; p++)
        if (*p == '\'')
            *p = '"';
    cJSON *j = cJSON_Parse(t);
    free(t);
    return j;
}

/* g1: tiny-Q4_0 at -t 2, every test ok, pp and tg measured by one worker (one load);
 * g2: odd|name-Q8_0 at -t 4 with an -ot, its pp
 * without a size, its tg crashed and its quality cell not stored yet */
static const char cells_text[] =
    "[{'idx':0,'key':'k0','group':'g1','model':'/m/tiny-Q4_0.gguf','test':'pp512',"
    "  'settings':{'n_threads':2,'n_gpu_layers':0,'flash_attn':0},'status':'ok','reason':'',"
    "  'stderr_tail':'','duration_s':3,'measured_in':1,'rows':[{'kind':'bench','row':{"
    "   'status':'ok','n_prompt':512,'n_gen':0,'model_size':536870912,'model_n_params':1e9,"
    "   'samples_ts':[100,102,98],'load_ns':2.5e9,'t_pp_ns':5.12e6,'ttft_ns':0,"
    "   'rss_peak_bytes':1073741824,'mem_gpu_bytes':0}}]},"
    " {'idx':1,'key':'k1','group':'g1','model':'/m/tiny-Q4_0.gguf','test':'tg128',"
    "  'settings':{'n_threads':2,'n_gpu_layers':0,'flash_attn':0},'status':'ok','reason':'',"
    "  'stderr_tail':'','duration_s':2,'measured_in':1,'rows':[{'kind':'bench','row':{"
    "   'status':'ok','n_prompt':0,'n_gen':128,'model_size':536870912,'model_n_params':1e9,"
    "   'samples_ts':[20,22],'load_ns':2.5e9,'rss_peak_bytes':1610612736,'mem_gpu_bytes':0}}]},"
    " {'idx':2,'key':'k2','group':'g1','model':'/m/tiny-Q4_0.gguf','test':'pp512+tg128',"
    "  'settings':{'n_threads':2,'n_gpu_layers':0,'flash_attn':0},'status':'ok','reason':'',"
    "  'stderr_tail':'','duration_s':2,'measured_in':1,'rows':[{'kind':'bench','row':{"
    "   'status':'ok','n_prompt':512,'n_gen':128,'samples_ts':[50,50],'load_ns':0.7e9,"
    "   'ttft_ns':12.5e6}}]},"
    " {'idx':3,'key':'k3','group':'g1','model':'/m/tiny-Q4_0.gguf','test':'quality',"
    "  'settings':{'n_threads':2,'n_gpu_layers':0,'flash_attn':0},'status':'ok','reason':'',"
    "  'stderr_tail':'','duration_s':9,'measured_in':1,'rows':[{'kind':'quality','row':{"
    "   'status':'ok','ppl':12.3456789,'ppl_err':0.123456,'load_ns':9e9,"
    "   'kld':{'kld':0.0123456,'same_top':0.9512}}}]},"
    " {'idx':4,'key':'k4','group':'g1','model':'/m/tiny-Q4_0.gguf','test':'prompts',"
    "  'settings':{'n_threads':2,'n_gpu_layers':0,'flash_attn':0},'status':'ok','reason':'',"
    "  'stderr_tail':'','duration_s':9,'measured_in':1,'rows':[{'kind':'prompts','row':{"
    "   'grade':'pass','grade_score':0.8}}]},"
    " {'idx':5,'key':'k5','group':'g2','model':'/m/odd|name-Q8_0.gguf','test':'pp512',"
    "  'settings':{'n_threads':4,'n_gpu_layers':0,'flash_attn':0,"
    "   'tensor_buft_overrides':'exps=CPU|x'},'status':'ok','reason':'','stderr_tail':'',"
    "  'duration_s':3,'measured_in':2,'rows':[{'kind':'bench','row':{'status':'ok',"
    "   'n_prompt':512,'n_gen':0,'samples_ts':[200,210,190,200],'load_ns':1e9,"
    "   't_pp_ns':2.56e6,'rss_peak_bytes':0,'mem_gpu_bytes':2147483648}}]},"
    " {'idx':6,'key':'k6','group':'g2','model':'/m/odd|name-Q8_0.gguf','test':'tg128',"
    "  'settings':{'n_threads':4,'n_gpu_layers':0,'flash_attn':0,"
    "   'tensor_buft_overrides':'exps=CPU|x'},'status':'crashed',"
    "  'reason':'worker died (signal 9)','stderr_tail':'boom','duration_s':1,'measured_in':2,"
    "  'rows':[]},"
    " {'idx':7,'key':'k7','group':'g2','model':'/m/odd|name-Q8_0.gguf','test':'quality',"
    "  'settings':{'n_threads':4,'n_gpu_layers':0,'flash_attn':0,"
    "   'tensor_buft_overrides':'exps=CPU|x'},'status':'missing','reason':'','stderr_tail':'',"
    "  'duration_s':null,'measured_in':null,'rows':[]}]";

static const char want_md[] =
    "| model | settings | size GiB | bpw | pp t/s | tg t/s | TTFT ms | load s (cold/warm) | "
    "peak host MiB | peak GPU MiB | PPL | KLD | same top % | prompts | failed |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
    "| tiny-Q4_0.gguf | n_threads=2 | 0.50 | 4.29 | 100.00 ± 4.97 | 21.00 ± 12.71 | 12.50 | "
    "2.50/0.70 | 1536.00 | - | 12.35 ± 0.12 | 0.012346 | 95.12 | 0.80 |  |\n"
    "| odd\\|name-Q8_0.gguf | n_threads=4 tensor_buft_overrides=exps=CPU\\|x | - | - | "
    "200.00 ± 12.99 | - | 2.56 | 1.00 | - | 2048.00 | - | - | - | - | "
    "tg128:crashed,quality:missing |\n";

static const char want_csv[] =
    "model,settings,size GiB,bpw,pp t/s,tg t/s,TTFT ms,load s (cold/warm),peak host MiB,"
    "peak GPU MiB,PPL,KLD,same top %,prompts,failed\n"
    "tiny-Q4_0.gguf,n_threads=2,0.50,4.29,100.00 ± 4.97,21.00 ± 12.71,12.50,2.50/0.70,"
    "1536.00,-,12.35 ± 0.12,0.012346,95.12,0.80,\n"
    "odd|name-Q8_0.gguf,n_threads=4 tensor_buft_overrides=exps=CPU|x,-,-,200.00 ± 12.99,-,"
    "2.56,1.00,-,2048.00,-,-,-,-,\"tg128:crashed,quality:missing\"\n";

static const char want_json[] =
    "[{'group':'g1','model':'tiny-Q4_0.gguf','model_path':'/m/tiny-Q4_0.gguf',"
    "  'settings':{'n_threads':2},'size_gib':0.5,'bpw':4.294967296,"
    "  'pp_test':'pp512','pp_ts':100,'pp_ci95':4.96867641664592,"
    "  'tg_test':'tg128','tg_ts':21,'tg_ci95':12.706,'ttft_ms':12.5,"
    "  'load_cold_s':2.5,'load_warm_s':0.7,'peak_host_mib':1536,'peak_gpu_mib':null,"
    "  'ppl':12.3456789,'ppl_err':0.123456,'kld':0.0123456,'same_top_pct':95.12,'prompts':0.8,"
    "  'failed':[]},"
    " {'group':'g2','model':'odd|name-Q8_0.gguf','model_path':'/m/odd|name-Q8_0.gguf',"
    "  'settings':{'n_threads':4,'tensor_buft_overrides':'exps=CPU|x'},'size_gib':null,"
    "  'bpw':null,'pp_test':'pp512','pp_ts':200,'pp_ci95':12.990460602560121,"
    "  'tg_test':null,'tg_ts':null,'tg_ci95':null,'ttft_ms':2.56,"
    "  'load_cold_s':1,'load_warm_s':null,'peak_host_mib':null,'peak_gpu_mib':2048,"
    "  'ppl':null,'ppl_err':null,'kld':null,'same_top_pct':null,'prompts':null,"
    "  'failed':[{'test':'tg128','status':'crashed','reason':'worker died (signal 9)'},"
    "   {'test':'quality','status':'missing','reason':''}]}]";

/* The same JSON: the same keys in the same order, the same types, numbers within 1e-9
 * relative (the intervals are computed, not typed in); the first difference is printed */
static bool json_same(const cJSON *a, const cJSON *b, const char *where)
{
    if ((a->type & 0xff) != (b->type & 0xff)) {
        fprintf(stderr, "  %s: type differs\n", where);
        return false;
    }
    if (cJSON_IsNumber(a)) {
        double x = a->valuedouble, y = b->valuedouble;
        bool ok = fabs(x - y) <= 1e-9 * fmax(1, fmax(fabs(x), fabs(y)));
        if (!ok)
            fprintf(stderr, "  %s: %.17g != %.17g\n", where, x, y);
        return ok;
    }
    if (cJSON_IsString(a)) {
        bool ok = strcmp(a->valuestring, b->valuestring) == 0;
        if (!ok)
            fprintf(stderr, "  %s: '%s' != '%s'\n", where, a->valuestring, b->valuestring);
        return ok;
    }
    if (cJSON_IsArray(a) || cJSON_IsObject(a)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next) {
            char w[256];
            snprintf(w, sizeof(w), "%s.%s", where, x->string ? x->string : "[]");
            if (x->string && (!y->string || strcmp(x->string, y->string) != 0)) {
                fprintf(stderr, "  %s: key '%s' != '%s'\n", where, x->string,
                        y->string ? y->string : "");
                return false;
            }
            if (!json_same(x, y, w))
                return false;
        }
        if (x || y)
            fprintf(stderr, "  %s: %s has more\n", where, x ? "got" : "want");
        return !x && !y;
    }
    return true;
}

static char *write_table(const cJSON *cells, enum bench_fmt fmt, int *rc)
{
    char *buf = NULL, err[QB_ERR_LEN];
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    *rc = suite_table_write(fp, cells, fmt, err);
    fclose(fp);
    return buf;
}

void test_suite_table(void)
{
    cJSON *cells = json_q(cells_text), *want = json_q(want_json);
    CHECK(cells != NULL && want != NULL);
    if (!cells || !want)
        goto out;
    int rc;
    char *md = write_table(cells, BENCH_FMT_MD, &rc);
    CHECK(rc == 0);
    CHECK_STR(md, want_md);
    char *csv = write_table(cells, BENCH_FMT_CSV, &rc);
    CHECK(rc == 0);
    CHECK_STR(csv, want_csv);
    char *json = write_table(cells, BENCH_FMT_JSON, &rc);
    CHECK(rc == 0);
    cJSON *got = cJSON_Parse(json);
    CHECK(got != NULL && json_same(got, want, "json"));
    cJSON_Delete(got);
    free(md);
    free(csv);
    free(json);

    /* one group: no setting differs; nothing stored: every figure unknown */
    cJSON *one = json_q("[{'idx':0,'key':'k','group':'g','model':'m.gguf','test':'tg128',"
                        "'settings':{'n_threads':2},'status':'missing','reason':'',"
                        "'stderr_tail':'','duration_s':null,'measured_in':null,'rows':[]}]");
    md = write_table(one, BENCH_FMT_MD, &rc);
    CHECK(rc == 0);
    CHECK(md && strstr(md, "\n| m.gguf |  | - | - | - | - | - | - | - | - | - | - | - | - | "
                           "tg128:missing |\n"));
    free(md);
    /* formats it does not write, and cells that are not an array */
    md = write_table(one, BENCH_FMT_JSONL, &rc);
    CHECK(rc < 0 && md && md[0] == 0);
    free(md);
    md = write_table(cJSON_GetArrayItem(one, 0), BENCH_FMT_MD, &rc);
    CHECK(rc < 0);
    free(md);
    cJSON_Delete(one);

    /* PPL with two decimals however large (not llama-perplexity's five) */
    one = json_q("[{'idx':0,'key':'k','group':'g','model':'m.gguf','test':'quality',"
                 "'settings':{},'status':'ok','reason':'','stderr_tail':'','duration_s':1,"
                 "'measured_in':1,'rows':[{'kind':'quality','row':{'ppl':58805.4697,"
                 "'ppl_err':941.95685}}]}]");
    md = write_table(one, BENCH_FMT_MD, &rc);
    CHECK(rc == 0);
    CHECK(md && strstr(md, " | - | 58805.47 ± 941.96 | - | - | - |  |\n"));
    free(md);
    cJSON_Delete(one);
out:
    cJSON_Delete(cells);
    cJSON_Delete(want);
}

void test_suite_table_loads(void)
{
    cJSON *cells = json_q(
        "[{'idx':0,'group':'0 m.gguf','model':'m.gguf','test':'pp64','status':'ok','rows':["
        "  {'kind':'bench','row':{'status':'ok','n_prompt':64,'n_gen':0,'samples_ts':[10,10],"
        "   'load_ns':3e9,'load_cold':true}}]},"
        " {'idx':1,'group':'0 m.gguf','model':'m.gguf','test':'tg16','status':'ok','rows':["
        "  {'kind':'bench','row':{'status':'ok','n_prompt':0,'n_gen':16,'samples_ts':[5,5],"
        "   'load_ns':1e9,'load_cold':false}}]},"
        " {'idx':2,'group':'0 m.gguf','model':'m.gguf','test':'mem','status':'ok','rows':["
        "  {'kind':'mem','row':{'status':'ok','load_ns':2e9,'rss_peak_bytes':1048576}}]}]");
    CHECK(cells != NULL);
    cJSON *t = suite_table_json(cells);
    const cJSON *g = cJSON_GetArrayItem(t, 0);
    CHECK(g != NULL);
    CHECK_NEAR(cJSON_GetObjectItemCaseSensitive(g, "load_cold_s")->valuedouble, 3.0, 1e-9);
    CHECK_NEAR(cJSON_GetObjectItemCaseSensitive(g, "load_warm_s")->valuedouble, 1.5, 1e-9);
    cJSON_Delete(t);
    cJSON_Delete(cells);
}
