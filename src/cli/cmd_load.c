/* quantbench load: load-tests OpenAI-compatible servers (run/load.h) with vllm bench serve's
 * flags and metrics; one row per target and level, stored (kind load) and printed as md,
 * csv, json or jsonl; --save-requests writes every request's record (its chunk times). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../grade/set.h"
#include "../net/http.h"
#include "../report/table.h"
#include "../run/load.h"
#include "../store/dbrun.h"
#include "../util/log.h"
#include "cmd.h"

static const char load_help[] =
    "usage: quantbench load --base-url URL | --target NAME=URL ... [flags]\n"
    "\n"
    "Load-tests OpenAI-compatible servers (llama-server, vLLM, ...): streamed requests sent\n"
    "from one event loop at fixed concurrency levels or request rates, each answer's chunks\n"
    "timed as they arrive. Metrics are vllm bench serve's (same definitions, same JSON keys):\n"
    "TTFT, TPOT = (E2EL - TTFT) / (output tokens - 1), ITL (every gap between chunks), E2EL,\n"
    "mean/median/std/p50/p90/p95/p99 in ms, request/output/total token throughput,\n"
    "goodput; ours under qb_: token-weighted TPOT, failure-adjusted percentiles, achieved\n"
    "rate and schedule lag, llama-server's own timings joined to each request. A\n"
    "capability probe (health, models, props, slots, metrics, tokenize) goes first.\n"
    "\n"
    "Targets:\n"
    "  --base-url URL            one server (http://127.0.0.1:8080)\n"
    "  --target NAME=URL         a server named NAME; again for several, load-tested at\n"
    "                            the same time (two models sharing one GPU)\n"
    "  --endpoint PATH           /v1/completions (default: random prompts as token ids)\n"
    "                            or /v1/chat/completions\n"
    "  --model NAME              the model asked for (default: the first /v1/models lists)\n"
    "  --api-key KEY             sent as a Bearer token (default $OPENAI_API_KEY)\n"
    "  --allow-remote            targets other than this machine (127.0.0.0/8, ::1,\n"
    "                            localhost) are refused without it\n"
    "Load (one of the two may be a list: a sweep):\n"
    "  --max-concurrency LIST    requests in flight at most, per target: 1,2,4,8 [none]\n"
    "  --request-rate LIST       requests/s, 'inf' = all at once [inf]\n"
    "  --burstiness F            gamma shape of the gaps; 1 = Poisson [1]\n"
    "  --ramp-up-strategy S      linear or exponential, from --ramp-up-start-rps to\n"
    "                            --ramp-up-end-rps over the requests\n"
    "  --num-prompts N           requests per level and target [1000]\n"
    "  --seed N                  the dataset's and the arrivals' seed [0]\n"
    "Data (random token prompts, vLLM's random dataset, unless a text source is given):\n"
    "  --random-input-len N      prompt tokens [1024]\n"
    "  --random-output-len N     tokens to generate (ignore_eos) [128]\n"
    "  --random-range-ratio R    lengths uniform in [L(1-R), L(1+R)] [0]\n"
    "  --random-prefix-len N     a shared random prefix of N tokens [0]\n"
    "  --cache-bust              prompts unlike any sent before (no warm prefix cache)\n"
    "  --vocab-size N            token ids below N (default: the server's n_vocab)\n"
    "  --prompt-set NAME|FILE    the prompts issue's sets (builtin, or a JSONL set file)\n"
    "  --prompts-file FILE       prompts, one a line\n"
    "  --no-ignore-eos           let the model stop early\n"
    "  --goodput KEY:MS ...      SLOs for goodput: ttft:MS tpot:MS e2el:MS\n"
    "Bounds:\n"
    "  --timeout S               one request at most [300]\n"
    "  --idle-timeout S          the longest silence of one answer [60]\n"
    "  --connect-timeout S       [10]\n"
    "  --max-duration S          one level at most: then what is in flight ends [600]\n"
    "Output:\n"
    "  -o, --output FMT          md (default), csv, json (vLLM's keys), jsonl\n"
    "  --save-requests FILE      every request as a JSON line: chunk times (ns from the\n"
    "                            level's start), tokens, server timings, failure\n"
    "\n"
    "A failed request (refused, HTTP error, cut, stalled, malformed event, no usage) is\n"
    "counted with its cause in qb_failures, never retried.\n"
    "\n" QB_EXIT_CODES_HELP "  (load: 4 when some requests failed; 1 when none succeeded)\n";

struct load_opts {
    struct load_params p;
    enum bench_fmt fmt;
    const char *save;
    const char *prompt_set, *prompts_file;
    bool allow_remote, help;
    char *bases[LOAD_MAX_TARGETS];
};

static int list_int(const char *flag, const char *v, int *out, int *n)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", v);
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n >= LOAD_MAX_LEVELS || parse_int(t, 1, 100000, &out[*n]) < 0)
            return usage_error("load",
                               "invalid value '%s' for %s (integers in 1..100000, "
                               "comma-separated, at most %d)",
                               v, flag, LOAD_MAX_LEVELS);
        ++*n;
    }
    return *n ? 0 : usage_error("load", "invalid value '%s' for %s", v, flag);
}

static int list_rate(const char *v, double *out, int *n)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", v);
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        double r;
        if (!strcmp(t, "inf"))
            r = INFINITY;
        else if (parse_double(t, &r) < 0 || !(r > 0) || r > 1e6)
            r = -1;
        if (r < 0 || *n >= LOAD_MAX_LEVELS)
            return usage_error("load",
                               "invalid value '%s' for --request-rate (requests/s > 0 "
                               "or inf, comma-separated)",
                               v);
        out[(*n)++] = r;
    }
    return *n ? 0 : usage_error("load", "invalid value '%s' for --request-rate", v);
}

static int num_flag(const char *flag, const char *v, double lo, double hi, double *out)
{
    double d;
    if (parse_double(v, &d) < 0 || d < lo || d > hi)
        return usage_error("load", "invalid value '%s' for %s (a number in %g..%g)", v, flag, lo,
                           hi);
    *out = d;
    return 0;
}

static int int_flag(const char *flag, const char *v, int lo, int hi, int *out)
{
    if (parse_int(v, lo, hi, out) < 0)
        return usage_error("load", "invalid value '%s' for %s (an integer in %d..%d)", v, flag, lo,
                           hi);
    return 0;
}

/* URL without trailing slashes and a final /v1, into a new string */
static char *base_of(const char *url)
{
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        n--;
    if (n >= 3 && !memcmp(url + n - 3, "/v1", 3))
        n -= 3;
    return xasprintf("%.*s", (int)n, url);
}

static int add_target(struct load_opts *o, const char *name, const char *url)
{
    struct load_params *p = &o->p;
    if (p->n_targets >= LOAD_MAX_TARGETS)
        return usage_error("load", "at most %d targets", LOAD_MAX_TARGETS);
    char err[QB_ERR_LEN];
    if (http_url_check(url, err) < 0) {
        error("%s", err);
        return QB_EXIT_INPUT;
    }
    for (int t = 0; t < p->n_targets; t++)
        if (!strcmp(p->targets[t].name, name))
            return usage_error("load", "two targets named '%s'", name);
    o->bases[p->n_targets] = base_of(url);
    p->targets[p->n_targets].name = name;
    p->targets[p->n_targets].base = o->bases[p->n_targets];
    p->n_targets++;
    return 0;
}

static int parse_args(int argc, char **argv, struct load_opts *o)
{
    struct load_params *p = &o->p;
    p->endpoint = LOAD_COMPLETIONS;
    p->endpoint_path = "/v1/completions";
    p->burstiness = 1;
    p->num_prompts = 1000;
    p->input_len = 1024;
    p->output_len = 128;
    p->ignore_eos = true;
    p->timeout_s = 300;
    p->idle_timeout_s = 60;
    p->connect_timeout_s = 10;
    p->max_duration_s = 600;
    p->dataset = "random";
    p->api_key = getenv("OPENAI_API_KEY");
    o->fmt = BENCH_FMT_MD;
    int rc;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            o->help = true;
            return 0;
        }
        if (!strcmp(a, "--allow-remote")) {
            o->allow_remote = true;
            continue;
        }
        if (!strcmp(a, "--cache-bust")) {
            p->cache_bust = true;
            continue;
        }
        if (!strcmp(a, "--no-ignore-eos")) {
            p->ignore_eos = false;
            continue;
        }
        if (a[0] != '-' || !a[1])
            return usage_error("load", "unexpected argument '%s'", a);
        static const char *const valued[] = {"--base-url",
                                             "--target",
                                             "--endpoint",
                                             "--model",
                                             "--api-key",
                                             "--max-concurrency",
                                             "--request-rate",
                                             "--burstiness",
                                             "--ramp-up-strategy",
                                             "--ramp-up-start-rps",
                                             "--ramp-up-end-rps",
                                             "--num-prompts",
                                             "--seed",
                                             "--random-input-len",
                                             "--random-output-len",
                                             "--random-range-ratio",
                                             "--random-prefix-len",
                                             "--vocab-size",
                                             "--prompt-set",
                                             "--prompts-file",
                                             "--goodput",
                                             "--timeout",
                                             "--idle-timeout",
                                             "--connect-timeout",
                                             "--max-duration",
                                             "-o",
                                             "--output",
                                             "--save-requests",
                                             NULL};
        bool known = false;
        for (const char *const *k = valued; *k && !known; k++)
            known = !strcmp(a, *k);
        if (!known)
            return usage_error("load", "unknown flag '%s'", a);
        if (i + 1 >= argc)
            return usage_error("load", "%s needs a value", a);
        const char *v = argv[++i];
        double d;
        if (!strcmp(a, "--base-url")) {
            if ((rc = add_target(o, "default", v)))
                return rc;
        } else if (!strcmp(a, "--target")) {
            char *eq = strchr(v, '=');
            if (!eq || eq == v)
                return usage_error("load", "invalid value '%s' for --target (NAME=URL)", v);
            *eq = '\0'; /* argv is ours to cut */
            if ((rc = add_target(o, v, eq + 1)))
                return rc;
        } else if (!strcmp(a, "--endpoint")) {
            if (!strcmp(v, "/v1/completions"))
                p->endpoint = LOAD_COMPLETIONS;
            else if (!strcmp(v, "/v1/chat/completions"))
                p->endpoint = LOAD_CHAT;
            else
                return usage_error("load",
                                   "invalid value '%s' for --endpoint (/v1/completions or "
                                   "/v1/chat/completions)",
                                   v);
            p->endpoint_path = v;
        } else if (!strcmp(a, "--model")) {
            p->model = v;
        } else if (!strcmp(a, "--api-key")) {
            p->api_key = v;
        } else if (!strcmp(a, "--max-concurrency")) {
            if ((rc = list_int(a, v, p->max_concurrency, &p->n_concurrency)))
                return rc;
        } else if (!strcmp(a, "--request-rate")) {
            if ((rc = list_rate(v, p->request_rate, &p->n_rates)))
                return rc;
        } else if (!strcmp(a, "--burstiness")) {
            if ((rc = num_flag(a, v, 0.01, 1000, &p->burstiness)))
                return rc;
        } else if (!strcmp(a, "--ramp-up-strategy")) {
            if (!strcmp(v, "linear"))
                p->ramp = LOAD_RAMP_LINEAR;
            else if (!strcmp(v, "exponential"))
                p->ramp = LOAD_RAMP_EXP;
            else
                return usage_error("load", "invalid value '%s' for %s (linear or exponential)", v,
                                   a);
        } else if (!strcmp(a, "--ramp-up-start-rps")) {
            if ((rc = num_flag(a, v, 0.001, 1e6, &p->ramp_start)))
                return rc;
        } else if (!strcmp(a, "--ramp-up-end-rps")) {
            if ((rc = num_flag(a, v, 0.001, 1e6, &p->ramp_end)))
                return rc;
        } else if (!strcmp(a, "--num-prompts")) {
            if ((rc = int_flag(a, v, 1, LOAD_MAX_PROMPTS, &p->num_prompts)))
                return rc;
        } else if (!strcmp(a, "--seed")) {
            if ((rc = num_flag(a, v, 0, 4294967295.0, &d)))
                return rc;
            p->seed = (uint64_t)d;
        } else if (!strcmp(a, "--random-input-len")) {
            if ((rc = int_flag(a, v, 1, 1 << 20, &p->input_len)))
                return rc;
        } else if (!strcmp(a, "--random-output-len")) {
            if ((rc = int_flag(a, v, 1, 1 << 20, &p->output_len)))
                return rc;
        } else if (!strcmp(a, "--random-range-ratio")) {
            if ((rc = num_flag(a, v, 0, 0.999, &p->range_ratio)))
                return rc;
        } else if (!strcmp(a, "--random-prefix-len")) {
            if ((rc = int_flag(a, v, 0, 1 << 20, &p->prefix_len)))
                return rc;
        } else if (!strcmp(a, "--vocab-size")) {
            if ((rc = int_flag(a, v, 2, 1 << 30, &p->vocab)))
                return rc;
        } else if (!strcmp(a, "--prompt-set")) {
            o->prompt_set = v;
        } else if (!strcmp(a, "--prompts-file")) {
            o->prompts_file = v;
        } else if (!strcmp(a, "--goodput")) {
            /* vLLM's form: KEY:MS values after one flag */
            for (i--; i + 1 < argc && argv[i + 1][0] != '-'; i++) {
                const char *g = argv[i + 1];
                const char *c = strchr(g, ':');
                double *slo = NULL;
                if (c && c - g == 4 && !strncmp(g, "ttft", 4))
                    slo = &p->slo_ttft;
                else if (c && c - g == 4 && !strncmp(g, "tpot", 4))
                    slo = &p->slo_tpot;
                else if (c && c - g == 4 && !strncmp(g, "e2el", 4))
                    slo = &p->slo_e2el;
                if (!slo || parse_double(c + 1, &d) < 0 || !(d > 0))
                    return usage_error("load",
                                       "invalid value '%s' for --goodput (ttft:MS, "
                                       "tpot:MS or e2el:MS)",
                                       g);
                *slo = d;
            }
        } else if (!strcmp(a, "--timeout")) {
            if ((rc = num_flag(a, v, 0.001, 86400, &p->timeout_s)))
                return rc;
        } else if (!strcmp(a, "--idle-timeout")) {
            if ((rc = num_flag(a, v, 0.001, 86400, &p->idle_timeout_s)))
                return rc;
        } else if (!strcmp(a, "--connect-timeout")) {
            if ((rc = num_flag(a, v, 0.001, 3600, &p->connect_timeout_s)))
                return rc;
        } else if (!strcmp(a, "--max-duration")) {
            if ((rc = num_flag(a, v, 0.001, 86400, &p->max_duration_s)))
                return rc;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            char err[QB_ERR_LEN];
            if (bench_fmt_flag(v, BENCH_FMTS_ROWS, NULL, &o->fmt, err) < 0)
                return usage_error("load", "%s", err);
        } else if (!strcmp(a, "--save-requests")) {
            o->save = v;
        }
    }
    if (p->n_targets == 0)
        return usage_error("load", "no server: give --base-url URL or --target NAME=URL");
    if (p->n_concurrency > 1 && p->n_rates > 1)
        return usage_error("load", "sweep --max-concurrency or --request-rate, not both");
    if (p->ramp != LOAD_RAMP_NONE && (!(p->ramp_start > 0) || !(p->ramp_end > 0)))
        return usage_error("load", "--ramp-up-strategy needs --ramp-up-start-rps and "
                                   "--ramp-up-end-rps");
    if (p->ramp != LOAD_RAMP_NONE && p->n_rates)
        return usage_error("load", "--ramp-up-strategy sets the rate: no --request-rate");
    if (o->prompt_set && o->prompts_file)
        return usage_error("load", "--prompt-set or --prompts-file, not both");
    for (int t = 0; t < p->n_targets && !o->allow_remote; t++)
        if (!load_url_is_loopback(p->targets[t].base))
            return usage_error("load",
                               "'%s' is not this machine: load-testing another needs "
                               "--allow-remote",
                               p->targets[t].base);
    return 0;
}

/* ---- the sink: rows stored and printed, requests to --save-requests */

struct out {
    cJSON *rows;
    FILE *save;
    bool save_failed;
};

static void on_row(void *ud, const cJSON *row)
{
    struct out *o = ud;
    dbrun_row("load", row);
    cJSON_AddItemToArray(o->rows, cJSON_Duplicate(row, 1));
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(row, "qb_failures");
    char *fs = cJSON_PrintUnformatted(f);
    log_printf("quantbench: load: %s level %d: %g completed, %g failed %s\n",
               cJSON_GetObjectItemCaseSensitive(row, "target")->valuestring,
               (int)cJSON_GetObjectItemCaseSensitive(row, "level")->valuedouble,
               cJSON_GetObjectItemCaseSensitive(row, "completed")->valuedouble,
               cJSON_GetObjectItemCaseSensitive(row, "failed")->valuedouble, fs ? fs : "");
    free(fs);
}

static void on_request(void *ud, const cJSON *rec)
{
    struct out *o = ud;
    if (!o->save)
        return;
    char *s = cJSON_PrintUnformatted(rec);
    if (fprintf(o->save, "%s\n", s) < 0)
        o->save_failed = true;
    free(s);
}

static void on_note(void *ud, const char *line)
{
    (void)ud;
    log_printf("quantbench: load: %s\n", line);
}

static const struct table_col md_cols[] = {
    {"target", "target", -10, TABLE_INT},
    {"max_concurrency", "conc", 4, TABLE_INT},
    {"rate_shown", "rate", 6, TABLE_INT},
    {"completed", "ok", 5, TABLE_INT},
    {"failed", "fail", 4, TABLE_INT},
    {"request_throughput", "req/s", 7, TABLE_F2},
    {"output_throughput", "out tok/s", 9, TABLE_F2},
    {"mean_ttft_ms", "TTFT ms", 8, TABLE_F2},
    {"p99_ttft_ms", "p99 TTFT", 8, TABLE_F2},
    {"mean_tpot_ms", "TPOT ms", 8, TABLE_F2},
    {"p99_tpot_ms", "p99 TPOT", 8, TABLE_F2},
    {"mean_itl_ms", "ITL ms", 7, TABLE_F2},
    {"mean_e2el_ms", "E2EL ms", 8, TABLE_F2},
    {"qb_mean_server_prompt_ms", "srv prefill", 8, TABLE_F2},
    {"qb_mean_queue_plus_network_ms", "queue+net", 8, TABLE_F2},
    {"qb_p99_schedule_lag_ms", "p99 lag", 7, TABLE_F2},
};

int cmd_load(int argc, char **argv)
{
    struct load_opts o;
    memset(&o, 0, sizeof(o));
    int rc = parse_args(argc, argv, &o);
    if (rc || o.help) {
        if (o.help)
            fputs(load_help, stdout);
        for (int t = 0; t < LOAD_MAX_TARGETS; t++)
            free(o.bases[t]);
        return rc;
    }
    char err[QB_ERR_LEN] = "";
    struct prompt_set set;
    memset(&set, 0, sizeof(set));
    char *file = NULL;
    const char **texts = NULL;
    struct out out = {cJSON_CreateArray(), NULL, false};
    if (o.prompt_set) {
        if ((rc = prompt_set_load(o.prompt_set, &set, err))) {
            error("%s", err);
            goto done;
        }
        texts = xcalloc((size_t)set.n, sizeof(*texts));
        for (int i = 0; i < set.n; i++)
            texts[i] = set.items[i].prompt;
        o.p.texts = texts;
        o.p.n_texts = set.n;
        o.p.dataset = set.name;
    } else if (o.prompts_file) {
        size_t len = 0;
        if (!(file = read_file(o.prompts_file, 256u << 20, &len, err))) {
            rc = QB_EXIT_INPUT;
            error("%s", err);
            goto done;
        }
        int n = 0, cap = 0;
        for (char *save = NULL, *l = strtok_r(file, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            if (!l[0] || !strcmp(l, "\r"))
                continue;
            if (n == cap)
                texts = xrealloc(texts, (size_t)(cap = cap ? 2 * cap : 64) * sizeof(*texts));
            texts[n++] = l;
        }
        if (n == 0) {
            rc = QB_EXIT_INPUT;
            error("'%s': no prompt in it", o.prompts_file);
            goto done;
        }
        o.p.texts = texts;
        o.p.n_texts = n;
        o.p.dataset = o.prompts_file;
    }
    if (o.save && !(out.save = fopen(o.save, "w"))) {
        rc = QB_EXIT_FAIL;
        error("cannot write '%s': %s", o.save, strerror(errno));
        goto done;
    }
    struct load_sink sink = {NULL, on_request, on_row, on_note, &out};
    rc = load_run(&o.p, &sink, err);
    if (out.save && (fclose(out.save) != 0 || out.save_failed)) {
        error("cannot write '%s'", o.save);
        rc = rc ? rc : QB_EXIT_FAIL;
    }
    out.save = NULL;
    struct table_out t;
    table_begin(&t, stdout, o.fmt, md_cols, (int)QB_ARRAY_LEN(md_cols));
    const cJSON *row;
    cJSON_ArrayForEach (row, out.rows) {
        cJSON *r = cJSON_Duplicate(row, 1);
        if (o.fmt == BENCH_FMT_CSV) { /* the arrays and objects are for json */
            static const char *const drop[] = {"samples_ttft_ms", "samples_tpot_ms",
                                               "samples_e2el_ms", "probe",
                                               "qb_failures",     "goodput_slo_ms"};
            for (size_t k = 0; k < QB_ARRAY_LEN(drop); k++)
                cJSON_DeleteItemFromObjectCaseSensitive(r, drop[k]);
        }
        if (o.fmt == BENCH_FMT_MD) {
            /* a partial level's figures are still figures; the rate as given */
            cJSON_DeleteItemFromObjectCaseSensitive(r, "status");
            const cJSON *rr = cJSON_GetObjectItemCaseSensitive(r, "request_rate");
            char rs[32];
            snprintf(rs, sizeof(rs), cJSON_IsNumber(rr) ? "%g" : "inf",
                     cJSON_IsNumber(rr) ? rr->valuedouble : 0);
            cJSON_AddStringToObject(r, "rate_shown", rs);
        }
        table_row(&t, r);
        cJSON_Delete(r);
    }
    table_end(&t);
    if (rc && rc != QB_EXIT_OK && err[0])
        error("%s", err);
done:
    if (out.save)
        fclose(out.save);
    cJSON_Delete(out.rows);
    free(texts);
    prompt_set_release(&set);
    free(file);
    for (int t = 0; t < LOAD_MAX_TARGETS; t++)
        free(o.bases[t]);
    return rc;
}
