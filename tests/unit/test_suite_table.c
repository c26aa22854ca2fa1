/* The suite table (report --suite, the end of run) from hand-made cells as
 * store_suite_cells returns them: two groups, a crashed and a missing cell, figures no
 * row gives; md, csv and json checked whole; the html page's parts and its escaping. */
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

static char *write_page(const cJSON *cells, const struct suite_page *page, int *rc)
{
    char *buf = NULL, err[QB_ERR_LEN];
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    *rc = suite_table_page(fp, cells, page, err);
    fclose(fp);
    return buf;
}

/* The text between the first a after from and the next b (the caller frees; NULL: none) */
static char *between(const char *s, const char *from, const char *a, const char *b)
{
    const char *p = s && from ? strstr(s, from) : s;
    p = p ? strstr(p, a) : NULL;
    const char *e = p ? strstr(p + strlen(a), b) : NULL;
    if (!e)
        return NULL;
    p += strlen(a);
    char *r = xmalloc((size_t)(e - p) + 1);
    memcpy(r, p, (size_t)(e - p));
    r[e - p] = 0;
    return r;
}

void test_suite_page(void)
{
    cJSON *cells = json_q(cells_text);
    CHECK(cells != NULL);
    if (!cells)
        return;
    /* g2's model file and the suite's name hold every character html must escape */
    const cJSON *c;
    cJSON_ArrayForEach (c, cells)
        if (strcmp(cJSON_GetObjectItem(c, "group")->valuestring, "g2") == 0)
            cJSON_SetValuestring(cJSON_GetObjectItem(c, "model"), "/m/<b>&\"x'.gguf");
    struct suite_page page = {"nightly <i>&\"", 7, "lab", "2026-01-01T00:00:00Z", NULL, "running"};
    int rc;
    char *html = write_page(cells, &page, &rc);
    CHECK(rc == 0 && html);
    if (!html)
        goto out;
    CHECK(strncmp(html, "<!DOCTYPE html>\n", 16) == 0);
    CHECK(strstr(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                       "'none'; style-src 'unsafe-inline';"));
    CHECK(!strstr(html, "<script") && !strstr(html, "http://") && !strstr(html, "https://"));
    CHECK(strstr(html, "<title>quantbench suite nightly &lt;i&gt;&amp;&quot;</title>"));
    /* the run in progress: no end, no status */
    CHECK(strstr(html, "<p>run 7 (lab), started 2026-01-01T00:00:00Z: 2 groups, 8 cells, "
                       "2 not ok</p>"));
    /* no raw text of the cells: every '<' opens a tag of ours */
    CHECK(!strstr(html, "<b>") && !strstr(html, "<i>"));
    /* the table: the md columns and figures, g2 shaded */
    char *head = between(html, "<table class=\"suite\">", "<thead><tr>", "</tr></thead>");
    CHECK_STR(head, "<th>model</th><th>settings</th><th>size GiB</th><th>bpw</th>"
                    "<th>pp t/s</th><th>tg t/s</th><th>TTFT ms</th><th>load s (cold/warm)</th>"
                    "<th>peak host MiB</th><th>peak GPU MiB</th><th>PPL</th><th>KLD</th>"
                    "<th>same top %</th><th>prompts</th><th>failed</th>");
    free(head);
    char *g1 = between(html, "<table class=\"suite\">", "<tbody>\n<tr>", "</tr>\n");
    CHECK_STR(g1, "<td>tiny-Q4_0.gguf</td><td>n_threads=2</td><td>0.50</td><td>4.29</td>"
                  "<td>100.00 ± 4.97</td><td>21.00 ± 12.71</td><td>12.50</td><td>2.50/0.70</td>"
                  "<td>1536.00</td><td>-</td><td>12.35 ± 0.12</td><td>0.012346</td>"
                  "<td>95.12</td><td>0.80</td><td></td>");
    free(g1);
    char *g2 = between(html, "<table class=\"suite\">", "<tr class=\"failed\">", "</tr>\n");
    CHECK_STR(g2, "<td>&lt;b&gt;&amp;&quot;x'.gguf</td>"
                  "<td>n_threads=4 tensor_buft_overrides=exps=CPU|x</td><td>-</td><td>-</td>"
                  "<td>200.00 ± 12.99</td><td>-</td><td>2.56</td><td>1.00</td><td>-</td>"
                  "<td>2048.00</td><td>-</td><td>-</td><td>-</td><td>-</td>"
                  "<td>tg128:crashed,quality:missing</td>");
    free(g2);
    /* the cells per group, in plan order; the group with failures open */
    CHECK(strstr(html, "<details><summary>g1: 5 cells, all ok</summary>"));
    char *cl = between(html, "<details open><summary>g2: 3 cells, 2 not ok</summary>", "<tbody>\n",
                       "</tbody>");
    CHECK_STR(cl, "<tr><td>pp512</td><td>ok</td><td></td><td>3.00</td></tr>\n"
                  "<tr class=\"failed\"><td>tg128</td><td>crashed</td>"
                  "<td>worker died (signal 9)</td><td>1.00</td></tr>\n"
                  "<tr class=\"failed\"><td>quality</td><td>missing</td><td></td>"
                  "<td>-</td></tr>\n");
    free(cl);
    CHECK(strstr(html, "</details>\n</body></html>\n"));
    free(html);
    /* a finished run says when it ended and how */
    page.ended = "2026-01-01T01:00:00Z";
    page.status = "partial";
    page.label = NULL;
    html = write_page(cells, &page, &rc);
    CHECK(rc == 0 && html &&
          strstr(html, "<p>run 7, started 2026-01-01T00:00:00Z, ended "
                       "2026-01-01T01:00:00Z (partial): 2 groups"));
    free(html);
    html = write_page(cJSON_GetArrayItem(cells, 0), &page, &rc);
    CHECK(rc < 0 && html && html[0] == 0);
    free(html);
out:
    cJSON_Delete(cells);
}

/* cold and warm loads: a suite's bench rows say which load read the file from the disk
 * (load_cold); the mem cell's own worker loads it again, from the page cache */
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
