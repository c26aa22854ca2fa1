/* Suite files: parsing, validation with JSON paths, the built-in default, expansion into
 * cells and their content keys. See suite.h. */
#include "suite.h"

#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../gguf/gguf.h"
#include "../record/args.h"
#include "../record/fields.h"
#include "../run/bench.h"
#include "../run/corpus.h"
#include "../run/quantize.h"
#include "../run/runner.h"
#include "../util/exit.h"
#include "../util/sha256.h"
#include "../util/sig.h"
#include "../util/strmap.h"
#include "../util/util.h"

#define MAX_CELLS 100000
#define MAX_LIST  64

/* ---------------------------------------------------------------- errors */

/* "FILE: PATH: message" with exit code code; returns code */
static int bad(int code, char *err, const char *file, const char *path, const char *fmt, ...)
    QB_FMT(5, 6);
static int bad(int code, char *err, const char *file, const char *path, const char *fmt, ...)
{
    char msg[QB_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    set_err(err, "%s: %s%s%s", file, path, path[0] ? ": " : "", msg);
    return code;
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "null";
}

/* every key of o must be one of keys[] (NULL-terminated) */
static int check_keys(const cJSON *o, const char *const *keys, const char *file, const char *path,
                      char *err)
{
    for (const cJSON *it = o->child; it; it = it->next) {
        size_t k;
        for (k = 0; keys[k] && strcmp(keys[k], it->string); k++)
            ;
        if (!keys[k]) {
            char p[256];
            snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", it->string);
            return bad(QB_EXIT_USAGE, err, file, p, "unknown key");
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- settings */

/* The setting a suite names key ("t", "-t", "threads", "--threads", "n_threads", "mmp"):
 * its field, the flag messages name (*flag, static) and whether it is -mmp */
static const struct field *setting_of(const char *key, const char **flag, bool *mmp)
{
    *mmp = !strcmp(key, "mmp") || !strcmp(key, "-mmp") || !strcmp(key, "mmap");
    if (*mmp) {
        *flag = "-mmp";
        return field_by_key(fields_settings, fields_n_settings, "use_mmap");
    }
    const char *k = key;
    while (*k == '-')
        k++;
    for (size_t i = 0; i < fields_n_settings; i++) {
        const struct field *f = &fields_settings[i];
        if (!f->flag && !f->lflag)
            continue; /* protocol-only (n_seq_max, no_alloc): no flag sets it */
        if ((f->flag && !strcmp(f->flag + 1, k)) || (f->lflag && !strcmp(f->lflag + 2, k)) ||
            !strcmp(f->key, k)) {
            *flag = f->flag ? f->flag : f->lflag;
            return f;
        }
    }
    return NULL;
}

/* the scratch structs a field is parsed into */
struct parts {
    struct engine_model_params mp;
    struct engine_ctx_params cp;
    void *p[FIELD_N_PARTS];
};

static void parts_init(struct parts *ps, const struct engine_model_params *mp,
                       const struct engine_ctx_params *cp)
{
    memset(ps, 0, sizeof(*ps));
    ps->mp = *mp;
    ps->cp = *cp;
    ps->p[FIELD_PART_LOAD] = &ps->mp;
    ps->p[FIELD_PART_CTX] = &ps->cp;
}

/* One value of setting f into parts (v: one item, already split) */
static int apply_one(const struct field *f, const char *flag, bool mmp, const char *v,
                     void *const *parts, char *err)
{
    if (mmp) {
        if (strcmp(v, "0") && strcmp(v, "1"))
            return set_err(err, "invalid value '%s' for %s (expected 0 or 1)", v, flag);
        *(int *)((unsigned char *)parts[f->part] + f->off) = v[0] == '1';
        return 0;
    }
    return field_parse_flag(f, flag, v, parts, err);
}

/* The values of a setting as a list of items (v: a string in llama-bench's list syntax,
 * a number, a boolean, or an array of those), each checked; -1 with err */
static int setting_values(const struct field *f, const char *flag, bool mmp, const cJSON *v,
                          struct str_list *out, char *err)
{
    if (cJSON_IsArray(v)) {
        if (cJSON_GetArraySize(v) == 0)
            return set_err(err, "empty list");
        for (const cJSON *it = v->child; it; it = it->next) {
            if (cJSON_IsArray(it) || cJSON_IsObject(it) || cJSON_IsNull(it))
                return set_err(err, "a list item is %s (expected a string, number or boolean)",
                               type_name(it));
            if (setting_values(f, flag, mmp, it, out, err) < 0)
                return -1;
        }
        return 0;
    }
    char text[4096];
    if (cJSON_IsString(v)) {
        snprintf(text, sizeof(text), "%s", v->valuestring);
    } else if (cJSON_IsBool(v)) {
        snprintf(text, sizeof(text), "%d", cJSON_IsTrue(v) ? 1 : 0);
    } else if (cJSON_IsNumber(v)) {
        if (v->valuedouble != (double)(long long)v->valuedouble && f->type != FIELD_DOUBLE &&
            f->type != FIELD_FLOATS)
            return set_err(err, "%g is not an integer", v->valuedouble);
        snprintf(text, sizeof(text), "%.17g", v->valuedouble);
    } else {
        return set_err(err, "is %s (expected a string, number, boolean or list)", type_name(v));
    }
    struct engine_model_params mp = engine_model_params_default();
    struct engine_ctx_params cp = engine_ctx_params_default();
    struct parts ps;
    parts_init(&ps, &mp, &cp);
    struct str_list items = {0};
    int rc = 0;
    bool ints = !mmp && !f->names &&
                (f->type == FIELD_INT || f->type == FIELD_U32 || f->type == FIELD_BOOL);
    if (ints) {
        struct int_list l = {0};
        rc =
            int_list_parse(&l, flag, text, (int)f->lo, (int)(f->flag_hi ? f->flag_hi : f->hi), err);
        for (size_t i = 0; i < l.n && rc == 0; i++) {
            char b[32];
            snprintf(b, sizeof(b), "%d", l.v[i]);
            str_list_add(&items, b);
        }
        int_list_release(&l);
    } else if (mmp || f->names) {
        str_list_split(&items, text, ',');
        if (items.n == 0)
            rc = set_err(err, "empty value for %s", flag);
    } else {
        rc = str_list_parse(&items, flag, text, err);
    }
    for (size_t i = 0; i < items.n && rc == 0; i++)
        if ((rc = apply_one(f, flag, mmp, items.v[i], ps.p, err)) == 0)
            str_list_add(out, items.v[i]);
    str_list_release(&items);
    return rc;
}

/* The settings of one level (shared, a model's, a test's) for the grid */
struct axis {
    const struct field *f;
    const char *flag;
    bool mmp;
    const char *name;     /* as the suite spells it, for the group's text */
    struct str_list vals; /* its items */
};

struct grid {
    struct axis ax[64];
    int n;
};

static void grid_release(struct grid *g)
{
    for (int i = 0; i < g->n; i++)
        str_list_release(&g->ax[i].vals);
    g->n = 0;
}

/* Add o's settings to g (a later level's setting replaces an earlier one's); skip: keys
 * that are the test's own parameters, not settings. path names o in messages. */
static int grid_add(struct grid *g, const cJSON *o, const char *const *skip, const char *file,
                    const char *path, char *err)
{
    if (!o)
        return 0;
    const struct field *seen[64];
    const char *seen_name[64];
    int n_seen = 0;
    for (const cJSON *it = o->child; it; it = it->next) {
        bool own = false;
        for (size_t k = 0; skip && skip[k]; k++)
            own |= !strcmp(skip[k], it->string);
        if (own)
            continue;
        char p[256], e[QB_ERR_LEN];
        snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", it->string);
        const char *flag;
        bool mmp;
        const struct field *f = setting_of(it->string, &flag, &mmp);
        if (!f)
            return bad(QB_EXIT_USAGE, err, file, p, "unknown key");
        for (int k = 0; k < n_seen; k++)
            if (seen[k] == f)
                return bad(QB_EXIT_USAGE, err, file, p, "the same setting as '%s'", seen_name[k]);
        if (n_seen < 64) {
            seen[n_seen] = f;
            seen_name[n_seen++] = it->string;
        }
        struct axis *a = NULL;
        for (int i = 0; i < g->n && !a; i++)
            if (g->ax[i].f == f)
                a = &g->ax[i];
        if (!a) {
            if (g->n == (int)QB_ARRAY_LEN(g->ax))
                return bad(QB_EXIT_USAGE, err, file, p, "too many settings");
            a = &g->ax[g->n++];
            memset(a, 0, sizeof(*a));
        }
        str_list_release(&a->vals);
        a->f = f;
        a->flag = flag;
        a->mmp = mmp;
        a->name = it->string;
        if (setting_values(f, flag, mmp, it, &a->vals, e) < 0)
            return bad(QB_EXIT_USAGE, err, file, p, "%s", e);
        if (a->vals.n == 0)
            return bad(QB_EXIT_USAGE, err, file, p, "empty list");
    }
    return 0;
}

/* load settings first (a model load per combination of them), then context settings,
 * each in table order */
static int axis_rank(const struct axis *a)
{
    return (a->f->part == FIELD_PART_LOAD ? 0 : 1000) + (int)(a->f - fields_settings);
}

static int axis_cmp(const void *x, const void *y)
{
    return axis_rank(x) - axis_rank(y);
}

static uint64_t grid_size(const struct grid *g)
{
    uint64_t n = 1;
    for (int i = 0; i < g->n; i++) {
        n *= g->ax[i].vals.n;
        if (n > MAX_CELLS)
            return n;
    }
    return n;
}

/* combination idx[] of g into parts */
static void grid_apply(const struct grid *g, const size_t *idx, void *const *parts)
{
    char e[QB_ERR_LEN];
    for (int i = 0; i < g->n; i++) {
        const struct axis *a = &g->ax[i];
        apply_one(a->f, a->flag, a->mmp, a->vals.v[idx[i]], parts, e); /* checked already */
    }
}

/* "name=value ..." of the settings a cell's row of the table is known by: the shared and
 * model's combination gi of g, but those the test's own (combination ti of tg) replace;
 * then the test's that replace one of those or are lists of several values. A test's own
 * single value (mem's c, quality's c) is the test's, not a row of its own. */
static void grid_text(const struct grid *g, const size_t *gi, const struct grid *tg,
                      const size_t *ti, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        const struct grid *x = pass ? tg : g;
        const size_t *idx = pass ? ti : gi;
        for (int i = 0; i < x->n; i++) {
            bool replaces = false;
            const struct grid *other = pass ? g : tg;
            for (int k = 0; k < other->n; k++)
                replaces |= other->ax[k].f == x->ax[i].f;
            if (!pass && replaces)
                continue;
            if (pass && !replaces && x->ax[i].vals.n < 2)
                continue;
            size_t used = strlen(buf);
            snprintf(buf + used, n - used, "%s%s=%s", used ? " " : "", x->ax[i].name,
                     x->ax[i].vals.v[idx[i]]);
        }
    }
}

static bool grid_next(const struct grid *g, size_t *idx)
{
    for (int k = g->n; k-- > 0;) {
        if (++idx[k] < g->ax[k].vals.n)
            return true;
        idx[k] = 0;
    }
    return false;
}

/* ---------------------------------------------------------------- tests */

static const char *const kind_names[] = {"bench",  "sweep",   "batched", "mem",
                                         "ctxmax", "quality", "prompts"};

/* each kind's own keys (the rest of a test's keys are settings) */
static const char *const bench_keys[] = {"test", "p", "n", "pg", "d", "r", "no_warmup", NULL};
static const char *const sweep_keys[] = {"test", "n", "r", "no_warmup", NULL};
static const char *const batched_keys[] = {"test",   "npp", "ntg",       "npl",
                                           "shared", "r",   "no_warmup", NULL};
static const char *const mem_keys[] = {"test", "measure", "fill", NULL};
static const char *const ctxmax_keys[] = {"test", "step", "max", NULL};
static const char *const quality_keys[] = {"test", "corpus", "file", "chunks", "base", NULL};
static const char *const prompts_keys[] = {"test",  "set",  "max_tokens", "temp", "top_k",
                                           "top_p", "seed", "system",     "stop", NULL};
static const char *const *const kind_keys[] = {bench_keys,  sweep_keys,   batched_keys, mem_keys,
                                               ctxmax_keys, quality_keys, prompts_keys};

/* an integer list key of o (llama-bench's list syntax, a number, or an array) into v[]; *n
 * stays when the key is absent */
static int int_list_key(const cJSON *o, const char *key, int lo, int hi, int *v, int *n,
                        const char *file, const char *path, char *err)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!x)
        return 0;
    char p[256], text[4096] = "", e[QB_ERR_LEN];
    snprintf(p, sizeof(p), "%s.%s", path, key);
    if (cJSON_IsString(x)) {
        snprintf(text, sizeof(text), "%s", x->valuestring);
    } else if (cJSON_IsNumber(x)) {
        snprintf(text, sizeof(text), "%.17g", x->valuedouble);
    } else if (cJSON_IsArray(x)) {
        for (const cJSON *it = x->child; it; it = it->next) {
            if (!cJSON_IsNumber(it) && !cJSON_IsString(it))
                return bad(QB_EXIT_USAGE, err, file, p, "a list item is %s (expected a number)",
                           type_name(it));
            size_t u = strlen(text);
            if (cJSON_IsNumber(it))
                snprintf(text + u, sizeof(text) - u, "%s%.17g", u ? "," : "", it->valuedouble);
            else
                snprintf(text + u, sizeof(text) - u, "%s%s", u ? "," : "", it->valuestring);
        }
    } else {
        return bad(QB_EXIT_USAGE, err, file, p, "is %s (expected a number, a list or a string)",
                   type_name(x));
    }
    char flag[32];
    snprintf(flag, sizeof(flag), "-%s", key);
    struct int_list l = {0};
    int rc = int_list_parse(&l, flag, text, lo, hi, e);
    if (rc == 0 && l.n == 0)
        rc = set_err(e, "empty list");
    if (rc == 0 && l.n > MAX_LIST)
        rc = set_err(e, "more than %d values", MAX_LIST);
    if (rc < 0) {
        int_list_release(&l);
        return bad(QB_EXIT_USAGE, err, file, p, "%s", e);
    }
    for (size_t i = 0; i < l.n; i++)
        v[i] = l.v[i];
    *n = (int)l.n;
    int_list_release(&l);
    return 0;
}

static int int_key(const cJSON *o, const char *key, int lo, int hi, int *v, const char *file,
                   const char *path, char *err)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!x)
        return 0;
    char p[256];
    snprintf(p, sizeof(p), "%s.%s", path, key);
    if (!cJSON_IsNumber(x))
        return bad(QB_EXIT_USAGE, err, file, p, "is %s (expected an integer)", type_name(x));
    double d = x->valuedouble;
    if (d != (double)(long long)d || d < lo || d > hi)
        return bad(QB_EXIT_USAGE, err, file, p, "%g is not an integer in %d..%d", d, lo, hi);
    *v = (int)d;
    return 0;
}

static int bool_key(const cJSON *o, const char *key, bool *v, const char *file, const char *path,
                    char *err)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!x)
        return 0;
    char p[256];
    snprintf(p, sizeof(p), "%s.%s", path, key);
    if (!cJSON_IsBool(x))
        return bad(QB_EXIT_USAGE, err, file, p, "is %s (expected true or false)", type_name(x));
    *v = cJSON_IsTrue(x);
    return 0;
}

/* -pg: "512,128" or ["512,128", ...] or [[512,128], ...] */
static int pg_key(const cJSON *o, struct suite_test *t, const char *file, const char *path,
                  char *err)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, "pg");
    if (!x)
        return 0;
    char p[256];
    snprintf(p, sizeof(p), "%s.pg", path);
    const cJSON *items = x;
    cJSON *one = NULL;
    if (cJSON_IsString(x) || (cJSON_IsArray(x) && x->child && cJSON_IsNumber(x->child))) {
        one = cJSON_CreateArray();
        cJSON_AddItemToArray(one, cJSON_Duplicate(x, 1));
        items = one;
    }
    int rc = 0;
    if (!cJSON_IsArray(items) || !items->child)
        rc = bad(QB_EXIT_USAGE, err, file, p, "is %s (expected \"PP,TG\" or a list of them)",
                 cJSON_IsArray(items) ? "an empty list" : type_name(items));
    for (const cJSON *it = rc ? NULL : items->child; it && rc == 0; it = it->next) {
        int a = -1, b = -1;
        if (cJSON_IsString(it)) {
            char tail;
            if (sscanf(it->valuestring, "%d,%d%c", &a, &b, &tail) != 2)
                a = -1;
        } else if (cJSON_IsArray(it) && cJSON_GetArraySize(it) == 2 && cJSON_IsNumber(it->child) &&
                   cJSON_IsNumber(it->child->next) &&
                   it->child->valuedouble == (int)it->child->valuedouble &&
                   it->child->next->valuedouble == (int)it->child->next->valuedouble) {
            a = (int)it->child->valuedouble;
            b = (int)it->child->next->valuedouble;
        }
        if (a < 1 || b < 1 || a > (1 << 24) || b > (1 << 24))
            rc = bad(QB_EXIT_USAGE, err, file, p,
                     "expected \"PP,TG\" with two positive integers, got %s",
                     cJSON_IsString(it) ? it->valuestring : type_name(it));
        else if (t->n_pg == MAX_LIST)
            rc = bad(QB_EXIT_USAGE, err, file, p, "more than %d pairs", MAX_LIST);
        else {
            t->pg[t->n_pg][0] = a;
            t->pg[t->n_pg][1] = b;
            t->n_pg++;
        }
    }
    cJSON_Delete(one);
    return rc;
}

static int parse_test(const cJSON *o, int i, struct suite_test *t, const char *file, char *err)
{
    char path[64];
    snprintf(path, sizeof(path), "tests[%d]", i);
    memset(t, 0, sizeof(*t));
    t->json = o;
    if (!cJSON_IsObject(o))
        return bad(QB_EXIT_USAGE, err, file, path, "is %s (expected an object with \"test\")",
                   type_name(o));
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "test");
    char kp[80];
    snprintf(kp, sizeof(kp), "%s.test", path);
    if (!k)
        return bad(QB_EXIT_USAGE, err, file, kp,
                   "missing (one of bench, sweep, batched, mem, ctxmax, quality, prompts)");
    if (!cJSON_IsString(k))
        return bad(QB_EXIT_USAGE, err, file, kp, "is %s (expected a string)", type_name(k));
    size_t kind;
    for (kind = 0; kind < QB_ARRAY_LEN(kind_names) && strcmp(kind_names[kind], k->valuestring);
         kind++)
        ;
    if (kind == QB_ARRAY_LEN(kind_names)) {
        return bad(QB_EXIT_USAGE, err, file, kp,
                   "unknown test '%s' (expected bench, sweep, batched, mem, ctxmax, quality or "
                   "prompts)",
                   k->valuestring);
    }
    t->kind = (enum suite_kind)kind;
    /* the test's settings are checked with the grid; here its own keys */
    t->reps = t->kind == SUITE_BENCH ? 5 : 1;
    t->measure = true;
    t->step = 256;
    const int big = 1 << 24;
    int rc = int_key(o, "r", 1, 100000, &t->reps, file, path, err);
    if (rc == 0)
        rc = bool_key(o, "no_warmup", &t->no_warmup, file, path, err);
    switch (t->kind) {
    case SUITE_BENCH:
        t->pp[0] = 512, t->n_pp = 1, t->tg[0] = 128, t->n_tg = 1, t->n_depth = 1;
        if (rc == 0)
            rc = int_list_key(o, "p", 0, big, t->pp, &t->n_pp, file, path, err);
        if (rc == 0)
            rc = int_list_key(o, "n", 0, big, t->tg, &t->n_tg, file, path, err);
        if (rc == 0)
            rc = int_list_key(o, "d", 0, big, t->depth, &t->n_depth, file, path, err);
        if (rc == 0)
            rc = pg_key(o, t, file, path, err);
        if (rc == 0) {
            bool any = t->n_pg > 0;
            for (int j = 0; j < t->n_pp; j++)
                any |= t->pp[j] > 0;
            for (int j = 0; j < t->n_tg; j++)
                any |= t->tg[j] > 0;
            if (!any)
                rc = bad(QB_EXIT_USAGE, err, file, path, "no test: every p and n is 0, no pg");
        }
        break;
    case SUITE_SWEEP:
        if (rc == 0)
            rc = int_key(o, "n", 1, big, &t->sweep_n, file, path, err);
        break;
    case SUITE_BATCHED:
        t->npp[0] = 128, t->n_npp = 1, t->ntg[0] = 128, t->n_ntg = 1, t->npl[0] = 1;
        t->n_npl = 1;
        if (rc == 0)
            rc = int_list_key(o, "npp", 1, big, t->npp, &t->n_npp, file, path, err);
        if (rc == 0)
            rc = int_list_key(o, "ntg", 1, big, t->ntg, &t->n_ntg, file, path, err);
        if (rc == 0)
            rc = int_list_key(o, "npl", 1, 4096, t->npl, &t->n_npl, file, path, err);
        if (rc == 0)
            rc = bool_key(o, "shared", &t->shared, file, path, err);
        break;
    case SUITE_MEM:
        if (rc == 0)
            rc = bool_key(o, "measure", &t->measure, file, path, err);
        if (rc == 0)
            rc = bool_key(o, "fill", &t->fill, file, path, err);
        break;
    case SUITE_CTXMAX:
        if (rc == 0)
            rc = int_key(o, "step", 1, big, &t->step, file, path, err);
        if (rc == 0)
            rc = int_key(o, "max", 0, big, &t->max, file, path, err);
        break;
    case SUITE_PROMPTS: {
        const cJSON *set = cJSON_GetObjectItemCaseSensitive(o, "set");
        char p[80], e[QB_ERR_LEN];
        snprintf(p, sizeof(p), "%s.set", path);
        if (set && (!cJSON_IsString(set) || !set->valuestring[0]))
            return bad(QB_EXIT_USAGE, err, file, p, "expected \"builtin\" or a set file's path");
        int src = prompt_set_load(set ? set->valuestring : NULL, &t->set, e);
        if (src)
            return bad(src, err, file, p, "%s", e);
        t->gen.max_tokens = 256;
        t->gen.sp = engine_sampler_params_default();
        if (rc == 0)
            rc = int_key(o, "max_tokens", 1, 1 << 20, &t->gen.max_tokens, file, path, err);
        if (rc == 0)
            rc = int_key(o, "top_k", 0, 1 << 20, &t->gen.sp.top_k, file, path, err);
        int seed = 1;
        if (rc == 0)
            rc = int_key(o, "seed", 0, INT32_MAX, &seed, file, path, err);
        t->gen.sp.seed = (uint64_t)seed;
        const char *nums[] = {"temp", "top_p"};
        double *dst[] = {&t->gen.sp.temp, &t->gen.sp.top_p};
        for (int k = 0; k < 2 && rc == 0; k++) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, nums[k]);
            snprintf(p, sizeof(p), "%s.%s", path, nums[k]);
            if (x && (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 100))
                rc = bad(QB_EXIT_USAGE, err, file, p, "expected a number in 0..100");
            else if (x)
                *dst[k] = x->valuedouble;
        }
        const cJSON *sys = cJSON_GetObjectItemCaseSensitive(o, "system");
        snprintf(p, sizeof(p), "%s.system", path);
        if (rc == 0 && sys && !cJSON_IsString(sys))
            rc = bad(QB_EXIT_USAGE, err, file, p, "is %s (expected a string)", type_name(sys));
        else if (rc == 0 && sys)
            t->system = xstrdup(sys->valuestring);
        const cJSON *stop = cJSON_GetObjectItemCaseSensitive(o, "stop");
        snprintf(p, sizeof(p), "%s.stop", path);
        if (rc == 0 && stop) {
            const cJSON *one = cJSON_IsString(stop) ? stop : NULL;
            int k = 0;
            if (!one && (!cJSON_IsArray(stop) || cJSON_GetArraySize(stop) > PROMPTS_MAX_STOP))
                rc = bad(QB_EXIT_USAGE, err, file, p, "expected a string or a list of at most %d",
                         PROMPTS_MAX_STOP);
            for (const cJSON *it = one ? one : stop->child; rc == 0 && it;
                 it = one ? NULL : it->next, k++) {
                if (!cJSON_IsString(it) || !it->valuestring[0] ||
                    strlen(it->valuestring) >= PROMPTS_STOP_LEN)
                    rc = bad(QB_EXIT_USAGE, err, file, p,
                             "a stop string must be text of 1..%d bytes", PROMPTS_STOP_LEN - 1);
                else
                    snprintf(t->gen.stop[k], PROMPTS_STOP_LEN, "%s", it->valuestring);
            }
        }
        break;
    }
    case SUITE_QUALITY: {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "corpus");
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "file");
        char p[80];
        if (c && f) {
            rc = bad(QB_EXIT_USAGE, err, file, path, "give corpus or file, not both");
        } else if (c && (!cJSON_IsString(c) || !c->valuestring[0] ||
                         strlen(c->valuestring) >= sizeof(t->corpus))) {
            snprintf(p, sizeof(p), "%s.corpus", path);
            rc = bad(QB_EXIT_USAGE, err, file, p, "expected a corpus name (gpl-3, licenses, ...)");
        } else if (f && (!cJSON_IsString(f) || !f->valuestring[0])) {
            snprintf(p, sizeof(p), "%s.file", path);
            rc = bad(QB_EXIT_USAGE, err, file, p, "expected a text file's path");
        } else if (f) {
            struct stat sb;
            snprintf(p, sizeof(p), "%s.file", path);
            if (stat(f->valuestring, &sb) < 0 || !S_ISREG(sb.st_mode))
                rc =
                    bad(QB_EXIT_INPUT, err, file, p, "'%s' is not a readable file", f->valuestring);
            else
                t->file = xstrdup(f->valuestring);
        } else {
            snprintf(t->corpus, sizeof(t->corpus), "%s", c ? c->valuestring : "licenses");
            char e[QB_ERR_LEN], *cf = corpus_path(t->corpus, e); /* there before anything runs */
            snprintf(p, sizeof(p), "%s.corpus", path);
            if (!cf)
                rc = bad(QB_EXIT_INPUT, err, file, p, "%s", e);
            free(cf);
        }
        if (rc == 0)
            rc = int_key(o, "chunks", 0, big, &t->chunks, file, path, err);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "base");
        snprintf(p, sizeof(p), "%s.base", path);
        if (rc == 0 && b && (!cJSON_IsString(b) || !b->valuestring[0]))
            rc = bad(QB_EXIT_USAGE, err, file, p,
                     "expected the base model's path, or \"source\" (the ladder's)");
        else if (rc == 0 && b)
            t->base = xstrdup(b->valuestring); /* checked with the models (the ladder's) */
        break;
    }
    }
    if (rc)
        return rc;
    /* the rest must be settings: checked here so a bad one fails before anything runs */
    struct grid g = {0};
    rc = grid_add(&g, o, kind_keys[t->kind], file, path, err);
    grid_release(&g);
    return rc;
}

/* ---------------------------------------------------------------- models */

static void add_model(struct suite *s, const char *path, const cJSON *settings, int rung)
{
    s->models = xrealloc(s->models, (size_t)(s->n_models + 1) * sizeof(*s->models));
    struct suite_model *m = &s->models[s->n_models++];
    memset(m, 0, sizeof(*m));
    m->path = xstrdup(path);
    m->settings = settings;
    m->rung = rung;
}

static char *opt_str(const cJSON *o, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(x))
        return xstrdup(x->valuestring);
    if (cJSON_IsNumber(x))
        return xasprintf("%.17g", x->valuedouble);
    return NULL;
}

/* a model file named by the suite must be a complete GGUF */
static int check_model(const char *path, const char *file, const char *p, char *err)
{
    long long n_layer;
    char e[QB_ERR_LEN];
    if (check_model_file(path, &n_layer, e) < 0)
        return bad(QB_EXIT_INPUT, err, file, p, "%s", e);
    return 0;
}

static int has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int add_path(struct suite *s, const char *pat, const cJSON *settings, const char *file,
                    const char *p, char *err)
{
    if (!has_glob(pat) || access(pat, F_OK) == 0) { /* a file of that very name comes first */
        if (check_model(pat, file, p, err))
            return QB_EXIT_INPUT;
        add_model(s, pat, settings, -1);
        return 0;
    }
    glob_t g;
    int r = glob(pat, 0, NULL, &g);
    if (r != 0) {
        if (r != GLOB_NOMATCH)
            globfree(&g);
        return bad(QB_EXIT_INPUT, err, file, p, "'%s' matches no file", pat);
    }
    int rc = 0;
    for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) {
        rc = check_model(g.gl_pathv[i], file, p, err);
        if (rc == 0)
            add_model(s, g.gl_pathv[i], settings, -1);
    }
    globfree(&g);
    return rc;
}

void suite_rung_path(const struct suite_ladder *l, int i, char *buf, size_t n)
{
    char *stem = quantize_stem(l->source);
    snprintf(buf, n, "%s/%s-%s.gguf", l->dir, stem, llama_ftype_name_short(l->ftypes[i]));
    free(stem);
}

static int parse_ladder(struct suite *s, const cJSON *o, const cJSON *settings, const char *file,
                        const char *path, char *err)
{
    static const char *const keys[] = {"source", "types", "imatrix", "dir", NULL};
    char p[128];
    snprintf(p, sizeof(p), "%s.ladder", path);
    if (!cJSON_IsObject(o))
        return bad(QB_EXIT_USAGE, err, file, p, "is %s (expected an object)", type_name(o));
    int rc = check_keys(o, keys, file, p, err);
    if (rc)
        return QB_EXIT_USAGE;
    if (s->has_ladder)
        return bad(QB_EXIT_USAGE, err, file, p, "a suite makes one ladder");
    struct suite_ladder *l = &s->ladder;
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(o, "source");
    char sp[160];
    snprintf(sp, sizeof(sp), "%s.source", p);
    if (!cJSON_IsString(src) || !src->valuestring[0])
        return bad(QB_EXIT_USAGE, err, file, sp, "%s (expected the F16/BF16 GGUF's path)",
                   src ? type_name(src) : "missing");
    if (check_model(src->valuestring, file, sp, err))
        return QB_EXIT_INPUT;
    struct gf_file *gf;
    char e[QB_ERR_LEN];
    if (gf_read_file(src->valuestring, &gf, e) == 0) {
        int64_t ft = gf_get_int(gf, "general.file_type", 0);
        gf_free(gf);
        if (ft != 0 && ft != 1 && ft != 32) /* llama.cpp quantizes F32, F16 and BF16 weights */
            return bad(QB_EXIT_INPUT, err, file, sp,
                       "'%s' is %s already: a ladder is made from F32, F16 or BF16 weights",
                       src->valuestring, llama_ftype_name_short((int)ft));
    }
    l->source = xstrdup(src->valuestring);
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(o, "types");
    snprintf(sp, sizeof(sp), "%s.types", p);
    if (!cJSON_IsArray(ty) || !ty->child)
        return bad(QB_EXIT_USAGE, err, file, sp, "%s (expected a list of types: [\"Q8_0\", ...])",
                   !ty                 ? "missing"
                   : cJSON_IsArray(ty) ? "an empty list"
                                       : type_name(ty));
    int n = cJSON_GetArraySize(ty), k = 0;
    l->types = xcalloc((size_t)n, sizeof(char *));
    l->ftypes = xcalloc((size_t)n, sizeof(int));
    for (const cJSON *it = ty->child; it; it = it->next, k++) {
        char ip[192];
        snprintf(ip, sizeof(ip), "%s[%d]", sp, k);
        int ft = cJSON_IsString(it) ? llama_ftype_by_name(it->valuestring) : -1;
        if (ft < 0)
            return bad(QB_EXIT_USAGE, err, file, ip, "%s%s%s is not a llama.cpp quantization type",
                       cJSON_IsString(it) ? "'" : "",
                       cJSON_IsString(it) ? it->valuestring : type_name(it),
                       cJSON_IsString(it) ? "'" : "");
        l->types[k] = xstrdup(it->valuestring);
        l->ftypes[k] = ft;
        l->n_types = k + 1;
    }
    const cJSON *im = cJSON_GetObjectItemCaseSensitive(o, "imatrix");
    if (im) {
        snprintf(sp, sizeof(sp), "%s.imatrix", p);
        struct stat sb;
        if (!cJSON_IsString(im))
            return bad(QB_EXIT_USAGE, err, file, sp, "is %s (expected a path)", type_name(im));
        if (stat(im->valuestring, &sb) < 0 || !S_ISREG(sb.st_mode))
            return bad(QB_EXIT_INPUT, err, file, sp, "'%s' is not a readable file",
                       im->valuestring);
        l->imatrix = xstrdup(im->valuestring);
    }
    const cJSON *dir = cJSON_GetObjectItemCaseSensitive(o, "dir");
    if (dir && (!cJSON_IsString(dir) || !dir->valuestring[0])) {
        snprintf(sp, sizeof(sp), "%s.dir", p);
        return bad(QB_EXIT_USAGE, err, file, sp, "is %s (expected a directory)", type_name(dir));
    }
    struct stat db;
    if (dir && stat(dir->valuestring, &db) == 0 && !S_ISDIR(db.st_mode)) {
        snprintf(sp, sizeof(sp), "%s.dir", p);
        return bad(QB_EXIT_INPUT, err, file, sp, "'%s' is not a directory", dir->valuestring);
    }
    if (dir) {
        l->dir = xstrdup(dir->valuestring);
    } else { /* beside the source */
        const char *slash = strrchr(l->source, '/');
        l->dir = slash ? xasprintf("%.*s", (int)(slash - l->source), l->source) : xstrdup(".");
    }
    s->has_ladder = true;
    for (int i = 0; i < l->n_types; i++) {
        char rp[PATH_MAX];
        suite_rung_path(l, i, rp, sizeof(rp));
        add_model(s, rp, settings, i);
    }
    return 0;
}

static int parse_model(struct suite *s, const cJSON *it, const char *path, const char *file,
                       char *err)
{
    static const char *const keys[] = {"path", "settings", "params", "quant", "family", NULL};
    if (cJSON_IsString(it))
        return add_path(s, it->valuestring, NULL, file, path, err);
    if (!cJSON_IsObject(it))
        return bad(QB_EXIT_USAGE, err, file, path,
                   "is %s (expected a path, {\"path\": ...} or {\"ladder\": ...})", type_name(it));
    const cJSON *lad = cJSON_GetObjectItemCaseSensitive(it, "ladder");
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(it, "settings");
    char sp[160];
    snprintf(sp, sizeof(sp), "%s.settings", path);
    if (settings && !cJSON_IsObject(settings))
        return bad(QB_EXIT_USAGE, err, file, sp, "is %s (expected an object)", type_name(settings));
    struct grid g = {0};
    int rc = grid_add(&g, settings, NULL, file, sp, err);
    grid_release(&g);
    if (rc)
        return rc;
    if (lad) {
        static const char *const lkeys[] = {"ladder", "settings", NULL};
        if (check_keys(it, lkeys, file, path, err))
            return QB_EXIT_USAGE;
        return parse_ladder(s, lad, settings, file, path, err);
    }
    if (check_keys(it, keys, file, path, err))
        return QB_EXIT_USAGE;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(it, "path");
    snprintf(sp, sizeof(sp), "%s.path", path);
    if (!cJSON_IsString(p) || !p->valuestring[0])
        return bad(QB_EXIT_USAGE, err, file, sp, "%s (expected the model's path)",
                   p ? type_name(p) : "missing");
    int before = s->n_models;
    rc = add_path(s, p->valuestring, settings, file, sp, err);
    for (int k = before; k < s->n_models && rc == 0; k++) {
        s->models[k].quant = opt_str(it, "quant");
        s->models[k].family = opt_str(it, "family");
        s->models[k].params = opt_str(it, "params");
    }
    return rc;
}

/* "models": a list, or the name of a models.json file holding one */
static int parse_models(struct suite *s, const cJSON *ms, cJSON **held, const char *file, char *err)
{
    if (cJSON_IsString(ms)) {
        size_t len;
        char e[QB_ERR_LEN];
        char *text = read_file(ms->valuestring, 64u << 20, &len, e);
        if (!text)
            return bad(QB_EXIT_INPUT, err, file, "models", "%s", e);
        const char *end = NULL;
        *held = cJSON_ParseWithOpts(text, &end, 1);
        free(text);
        if (!*held || !cJSON_IsArray(*held))
            return bad(QB_EXIT_INPUT, err, file, "models", "'%s' is not a JSON list of models",
                       ms->valuestring);
        ms = *held;
    }
    if (!cJSON_IsArray(ms))
        return bad(QB_EXIT_USAGE, err, file, "models",
                   "is %s (expected a list of paths, globs, {\"path\": ...} or {\"ladder\": ...})",
                   type_name(ms));
    if (!ms->child)
        return bad(QB_EXIT_USAGE, err, file, "models", "empty list");
    int i = 0, rc = 0;
    for (const cJSON *it = ms->child; it && rc == 0; it = it->next, i++) {
        char path[48];
        snprintf(path, sizeof(path), "models[%d]", i);
        rc = parse_model(s, it, path, file, err);
    }
    return rc;
}

/* ---------------------------------------------------------------- the suite */

/* the first object key of v (recursively) that repeats a sibling's: its path into path
 * (n bytes); false when none */
static bool dup_key(const cJSON *v, char *path, size_t n)
{
    size_t len = strlen(path);
    int i = 0;
    for (const cJSON *it = v->child; it; it = it->next, i++) {
        if (cJSON_IsObject(v)) {
            for (const cJSON *o = v->child; o != it; o = o->next)
                if (!strcmp(o->string, it->string)) {
                    snprintf(path + len, n - len, "%s%s", len ? "." : "", it->string);
                    return true;
                }
            snprintf(path + len, n - len, "%s%s", len ? "." : "", it->string);
        } else {
            snprintf(path + len, n - len, "[%d]", i);
        }
        if ((cJSON_IsObject(it) || cJSON_IsArray(it)) && dup_key(it, path, n))
            return true;
        path[len] = '\0';
    }
    return false;
}

/* line of the byte at pos in text, for a JSON syntax error */
static int line_of(const char *text, const char *pos)
{
    int line = 1;
    for (const char *p = text; p < pos && *p; p++)
        line += *p == '\n';
    return line;
}

int suite_parse(const char *file, const char *text, struct suite *s, char *err)
{
    static const char *const keys[] = {"name", "description", "models", "settings", "tests", NULL};
    memset(s, 0, sizeof(*s));
    s->file = xstrdup(file);
    const char *end = NULL;
    s->doc = cJSON_ParseWithOpts(text, &end, 1);
    if (!s->doc)
        return bad(QB_EXIT_INPUT, err, file, "", "not valid JSON (line %d)",
                   line_of(text, end ? end : text));
    if (!cJSON_IsObject(s->doc))
        return bad(QB_EXIT_USAGE, err, file, "", "is %s (expected an object with models and tests)",
                   type_name(s->doc));
    char dp[512] = "";
    if (dup_key(s->doc, dp, sizeof(dp)))
        return bad(QB_EXIT_USAGE, err, file, dp, "duplicate key");
    if (check_keys(s->doc, keys, file, "", err))
        return QB_EXIT_USAGE;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(s->doc, "name");
    if (name && !cJSON_IsString(name))
        return bad(QB_EXIT_USAGE, err, file, "name", "is %s (expected a string)", type_name(name));
    if (name) {
        s->name = xstrdup(name->valuestring);
    } else {
        const char *b = strrchr(file, '/');
        s->name = xstrdup(b ? b + 1 : file);
    }
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(s->doc, "settings");
    if (settings && !cJSON_IsObject(settings))
        return bad(QB_EXIT_USAGE, err, file, "settings", "is %s (expected an object)",
                   type_name(settings));
    struct grid g = {0};
    int rc = grid_add(&g, settings, NULL, file, "settings", err);
    grid_release(&g);
    if (rc)
        return rc;
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(s->doc, "tests");
    if (!tests)
        return bad(QB_EXIT_USAGE, err, file, "tests", "missing");
    if (!cJSON_IsArray(tests))
        return bad(QB_EXIT_USAGE, err, file, "tests", "is %s (expected a list of tests)",
                   type_name(tests));
    if (!tests->child)
        return bad(QB_EXIT_USAGE, err, file, "tests", "empty list");
    s->n_tests = cJSON_GetArraySize(tests);
    s->tests = xcalloc((size_t)s->n_tests, sizeof(*s->tests));
    int i = 0;
    for (const cJSON *it = tests->child; it; it = it->next, i++)
        if ((rc = parse_test(it, i, &s->tests[i], file, err)) != 0)
            return rc;
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(s->doc, "models");
    if (!models)
        return bad(QB_EXIT_USAGE, err, file, "models", "missing");
    cJSON *held = NULL;
    rc = parse_models(s, models, &held, file, err);
    if (held) /* its model entries are referenced: keep it with the suite */
        cJSON_AddItemToObject(s->doc, "__models_file", held);
    for (int k = 0; k < s->n_tests && rc == 0; k++) { /* a quality test's base model */
        struct suite_test *t = &s->tests[k];
        char p[64];
        snprintf(p, sizeof(p), "tests[%d].base", k);
        if (!t->base)
            continue;
        if (!strcmp(t->base, "source")) {
            if (!s->has_ladder)
                return bad(QB_EXIT_USAGE, err, file, p,
                           "\"source\" names a ladder's source; "
                           "this suite has no ladder");
            free(t->base);
            t->base = xstrdup(s->ladder.source);
        } else if (check_model(t->base, file, p, err)) {
            return QB_EXIT_INPUT;
        }
    }
    return rc;
}

void suite_release(struct suite *s)
{
    for (int i = 0; i < s->n_models; i++) {
        free(s->models[i].path);
        free(s->models[i].quant);
        free(s->models[i].family);
        free(s->models[i].params);
    }
    for (int i = 0; i < s->n_tests; i++) {
        free(s->tests[i].file);
        free(s->tests[i].base);
        free(s->tests[i].system);
        prompt_set_release(&s->tests[i].set);
    }
    for (int i = 0; i < s->ladder.n_types; i++)
        free(s->ladder.types[i]);
    free(s->ladder.types);
    free(s->ladder.ftypes);
    free(s->ladder.source);
    free(s->ladder.imatrix);
    free(s->ladder.dir);
    free(s->models);
    free(s->tests);
    free(s->name);
    free(s->file);
    cJSON_Delete(s->doc);
    memset(s, 0, sizeof(*s));
}

const char *suite_default_json(const char *source)
{
    static char buf[8192];
    cJSON *str = cJSON_CreateString(source);
    char *esc = cJSON_PrintUnformatted(str);
    cJSON_Delete(str);
    snprintf(
        buf, sizeof(buf),
        "{\n"
        "  \"name\": \"default\",\n"
        "  \"description\": \"a source's quant ladder: speed, memory, PPL and KLD against it\",\n"
        "  \"models\": [\n"
        "    {\"ladder\": {\"source\": %s,\n"
        "                \"types\": [\"Q8_0\", \"Q6_K\", \"Q4_K_M\", \"Q3_K_L\"]}}\n"
        "  ],\n"
        "  \"tests\": [\n"
        "    {\"test\": \"bench\", \"p\": 512, \"n\": 128, \"pg\": \"512,128\", \"r\": 5},\n"
        "    {\"test\": \"mem\", \"c\": 4096},\n"
        "    {\"test\": \"quality\", \"corpus\": \"licenses\", \"c\": 512, \"chunks\": 16,\n"
        "     \"base\": \"source\"},\n"
        "    {\"test\": \"prompts\", \"set\": \"builtin\", \"max_tokens\": 64}\n"
        "  ]\n"
        "}\n",
        esc);
    free(esc);
    return buf;
}

/* ---------------------------------------------------------------- cells */

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 4;
}

/* a kind's defaults: bench llama-bench's, the rest the one-configuration commands' */
static void kind_defaults(enum suite_kind k, struct engine_model_params *mp,
                          struct engine_ctx_params *cp)
{
    *mp = engine_model_params_default();
    if (k == SUITE_BENCH) {
        struct work_test t;
        bench_test_init(&t);
        *cp = t.cp;
    } else {
        *cp = engine_ctx_params_default();
        cp->n_threads = cp->n_threads_batch = online_cpus();
        if (k == SUITE_QUALITY)
            cp->n_ctx = 512; /* llama-perplexity's, as the quality command */
    }
}

static cJSON *int_array(const int *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

/* the test's own parameters, as the cell's settings and key carry them */
static void test_params_json(const struct suite_test *t, const struct suite_cell *c, cJSON *o)
{
    switch (t->kind) {
    case SUITE_BENCH:
        cJSON_AddNumberToObject(o, "n_prompt", c->pp);
        cJSON_AddNumberToObject(o, "n_gen", c->tg);
        cJSON_AddNumberToObject(o, "n_depth", c->depth);
        break;
    case SUITE_SWEEP: cJSON_AddNumberToObject(o, "n_gen", t->sweep_n); break;
    case SUITE_BATCHED:
        cJSON_AddItemToObject(o, "npp", int_array(t->npp, t->n_npp));
        cJSON_AddItemToObject(o, "ntg", int_array(t->ntg, t->n_ntg));
        cJSON_AddItemToObject(o, "npl", int_array(t->npl, t->n_npl));
        cJSON_AddBoolToObject(o, "shared", t->shared);
        break;
    case SUITE_MEM:
        cJSON_AddBoolToObject(o, "measure", t->measure);
        cJSON_AddBoolToObject(o, "fill", t->fill);
        break;
    case SUITE_CTXMAX:
        cJSON_AddNumberToObject(o, "step", t->step);
        cJSON_AddNumberToObject(o, "max", t->max);
        break;
    case SUITE_PROMPTS: {
        cJSON_AddStringToObject(o, "set", t->set.name);
        cJSON_AddNumberToObject(o, "max_tokens", t->gen.max_tokens);
        cJSON_AddNumberToObject(o, "temp", t->gen.sp.temp);
        cJSON_AddNumberToObject(o, "top_k", t->gen.sp.top_k);
        cJSON_AddNumberToObject(o, "top_p", t->gen.sp.top_p);
        cJSON_AddNumberToObject(o, "seed", (double)t->gen.sp.seed);
        cJSON_AddStringToObject(o, "system", t->system ? t->system : "");
        cJSON *st = cJSON_AddArrayToObject(o, "stop");
        for (int k = 0; k < PROMPTS_MAX_STOP && t->gen.stop[k][0]; k++)
            cJSON_AddItemToArray(st, cJSON_CreateString(t->gen.stop[k]));
        break;
    }
    case SUITE_QUALITY:
        cJSON_AddStringToObject(o, t->file ? "file" : "corpus", t->file ? t->file : t->corpus);
        cJSON_AddNumberToObject(o, "chunks", t->chunks);
        if (t->base)
            cJSON_AddStringToObject(o, "base", t->base);
        break;
    }
    if (t->kind == SUITE_BENCH || t->kind == SUITE_SWEEP || t->kind == SUITE_BATCHED) {
        cJSON_AddNumberToObject(o, "reps", t->reps);
        cJSON_AddBoolToObject(o, "no_warmup", t->no_warmup);
    }
}

static void add_cell(struct suite_cells *out, size_t *cap, const struct suite_cell *c)
{
    if ((size_t)out->n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        out->c = xrealloc(out->c, *cap * sizeof(*out->c));
    }
    out->c[out->n++] = *c;
}

/* the cells of test t for one combination of settings (parts hold it) */
static void test_cells(const struct suite_test *t, int model, int test, int group,
                       const struct engine_model_params *mp, const struct engine_ctx_params *cp,
                       const char *gtext, struct suite_cells *out, size_t *cap)
{
    struct suite_cell c;
    memset(&c, 0, sizeof(c));
    c.model = model;
    c.test = test;
    c.group = group;
    c.mp = *mp;
    c.cp = *cp;
    snprintf(c.group_text, sizeof(c.group_text), "%s", gtext);
    if (t->kind != SUITE_BENCH) {
        static const char *const names[] = {"bench",  "sweep", "batched", "mem",
                                            "ctxmax", "ppl",   "prompts"};
        snprintf(c.name, sizeof(c.name), "%s", names[t->kind]);
        if (t->kind == SUITE_PROMPTS) {
            const char *b = strrchr(t->set.name, '/');
            snprintf(c.name, sizeof(c.name), "prompts %.38s", b ? b + 1 : t->set.name);
        }
        if (t->kind == SUITE_QUALITY) {
            const char *b = t->file ? strrchr(t->file, '/') : NULL;
            snprintf(c.name, sizeof(c.name), "%s %.38s", t->base ? "kld" : "ppl",
                     t->file ? (b ? b + 1 : t->file) : t->corpus);
        }
        add_cell(out, cap, &c);
        return;
    }
    for (int d = 0; d < t->n_depth; d++) {
        char at[24] = "";
        if (t->depth[d] > 0)
            snprintf(at, sizeof(at), " @ d%d", t->depth[d]);
        c.depth = t->depth[d];
        for (int i = 0; i < t->n_pp + t->n_tg + t->n_pg; i++) {
            if (i < t->n_pp) {
                c.pp = t->pp[i], c.tg = 0;
                if (!c.pp)
                    continue;
                snprintf(c.name, sizeof(c.name), "pp%d%s", c.pp, at);
            } else if (i < t->n_pp + t->n_tg) {
                c.pp = 0, c.tg = t->tg[i - t->n_pp];
                if (!c.tg)
                    continue;
                snprintf(c.name, sizeof(c.name), "tg%d%s", c.tg, at);
            } else {
                const int *pg = t->pg[i - t->n_pp - t->n_tg];
                c.pp = pg[0], c.tg = pg[1];
                snprintf(c.name, sizeof(c.name), "pp%d+tg%d%s", c.pp, c.tg, at);
            }
            c.cp.n_ctx = (uint32_t)(c.pp + c.tg + c.depth);
            add_cell(out, cap, &c);
        }
    }
}

/* the load settings of c as text, to tell loads apart */
static char *load_text(const struct suite_cell *c)
{
    cJSON *o = cJSON_CreateObject();
    const void *parts[FIELD_N_PARTS] = {&c->mp, NULL};
    field_write(fields_settings, fields_n_settings, FIELD_USE_WIRE, parts, FIELD_FORM_WIRE, o);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* run order: model, load, bench before the rest, then as expanded (qsort is not stable:
 * idx holds the expansion order until it is renumbered) */
static int cell_cmp(const void *x, const void *y)
{
    const struct suite_cell *a = x, *b = y;
    if (a->model != b->model)
        return a->model - b->model;
    if (a->load != b->load)
        return a->load - b->load;
    int ka = a->pp || a->tg ? 0 : 1, kb = b->pp || b->tg ? 0 : 1;
    if (ka != kb)
        return ka - kb;
    return a->idx - b->idx;
}

int suite_expand(const struct suite *s, struct suite_cells *out, char *err)
{
    memset(out, 0, sizeof(*out));
    size_t cap = 0;
    const cJSON *shared = cJSON_GetObjectItemCaseSensitive(s->doc, "settings");
    int rc = 0;
    struct strmap groups;
    strmap_init(&groups);
    for (int m = 0; m < s->n_models && rc == 0 && !sig_caught(); m++) {
        struct grid g = {0};
        char path[48];
        snprintf(path, sizeof(path), "models[%d].settings", m);
        rc = grid_add(&g, shared, NULL, s->file, "settings", err);
        if (rc == 0)
            rc = grid_add(&g, s->models[m].settings, NULL, s->file, path, err);
        if (rc == 0 && grid_size(&g) > MAX_CELLS)
            rc = bad(QB_EXIT_USAGE, err, s->file, "settings", "more than %d combinations",
                     MAX_CELLS);
        qsort(g.ax, (size_t)g.n, sizeof(g.ax[0]), axis_cmp);
        size_t gi[64] = {0};
        bool more = rc == 0;
        while (more) {
            for (int ti = 0; ti < s->n_tests && rc == 0; ti++) {
                const struct suite_test *t = &s->tests[ti];
                struct grid tg = {0};
                char tp[32];
                snprintf(tp, sizeof(tp), "tests[%d]", ti);
                rc = grid_add(&tg, t->json, kind_keys[t->kind], s->file, tp, err);
                qsort(tg.ax, (size_t)tg.n, sizeof(tg.ax[0]), axis_cmp);
                size_t ti_idx[64] = {0};
                bool tmore = rc == 0;
                while (tmore) {
                    struct engine_model_params mp;
                    struct engine_ctx_params cp;
                    kind_defaults(t->kind, &mp, &cp);
                    struct parts ps;
                    parts_init(&ps, &mp, &cp);
                    grid_apply(&g, gi, ps.p);
                    grid_apply(&tg, ti_idx, ps.p);
                    /* a row of the table per model and settings as run (a test's own lists
                     * make rows of their own) */
                    char gtext[256];
                    grid_text(&g, gi, &tg, ti_idx, gtext, sizeof(gtext));
                    char *gk = xasprintf("%d\n%s", m, gtext);
                    int group = strmap_get(&groups, gk);
                    if (group < 0)
                        strmap_put(&groups, gk, group = out->n_groups++);
                    free(gk);
                    ps.cp.n_threads_batch = ps.cp.n_threads; /* -t sets both, as in llama.cpp */
                    if (t->kind == SUITE_SWEEP) {            /* as the sweep command refuses them */
                        int ub = (int)ps.cp.n_ubatch, n = t->sweep_n ? t->sweep_n : ub / 4;
                        if (n > ub)
                            rc = bad(QB_EXIT_USAGE, err, s->file, tp,
                                     "n %d exceeds ub %d (the last depth has room for one "
                                     "ubatch)",
                                     n, ub);
                        else if ((int)ps.cp.n_ctx < ub)
                            rc = bad(QB_EXIT_USAGE, err, s->file, tp, "c %u is smaller than ub %d",
                                     ps.cp.n_ctx, ub);
                        if (rc)
                            break;
                    }
                    test_cells(t, m, ti, group, &ps.mp, &ps.cp, gtext, out, &cap);
                    if (out->n > MAX_CELLS) {
                        rc = bad(QB_EXIT_USAGE, err, s->file, "", "more than %d cells", MAX_CELLS);
                        break;
                    }
                    tmore = grid_next(&tg, ti_idx);
                }
                grid_release(&tg);
            }
            more = rc == 0 && grid_next(&g, gi);
        }
        grid_release(&g);
    }
    strmap_release(&groups);
    if (rc == 0 && sig_caught()) {
        set_err(err, "interrupted while planning the suite");
        rc = sig_exit_code();
    }
    if (rc == 0 && out->n == 0)
        rc = bad(QB_EXIT_USAGE, err, s->file, "tests", "no cells to run");
    if (rc) {
        suite_cells_release(out);
        return rc;
    }
    /* number the distinct loads of each model, then put the cells in run order */
    char **loads = xcalloc((size_t)out->n, sizeof(char *));
    int *load_model = xcalloc((size_t)out->n, sizeof(int));
    int n_loads = 0;
    for (int i = 0; i < out->n; i++) {
        struct suite_cell *c = &out->c[i];
        char *lt = load_text(c);
        int k;
        for (k = 0; k < n_loads && (load_model[k] != c->model || strcmp(loads[k], lt)); k++)
            ;
        if (k == n_loads) {
            load_model[k] = c->model;
            loads[n_loads++] = lt;
        } else {
            free(lt);
        }
        c->load = k;
        c->idx = i;
    }
    for (int k = 0; k < n_loads; k++)
        free(loads[k]);
    free(loads);
    free(load_model);
    qsort(out->c, (size_t)out->n, sizeof(*out->c), cell_cmp);
    for (int i = 0; i < out->n; i++) {
        struct suite_cell *c = &out->c[i];
        c->idx = i;
        c->settings = cJSON_CreateObject();
        const void *parts[FIELD_N_PARTS] = {&c->mp, &c->cp};
        field_write(fields_settings, fields_n_settings, FIELD_USE_ROW, parts, FIELD_FORM_ROW,
                    c->settings);
        test_params_json(&s->tests[c->test], c, c->settings);
    }
    return 0;
}

int suite_keys(const struct suite *s, struct suite_cells *cells, const char *build, char *err)
{
    free(cells->model_id);
    char(*qid)[160] = cells->model_id =
        xcalloc((size_t)(s->n_models ? s->n_models : 1), sizeof(*qid));
    int rc = 0;
    for (int m = 0; m < s->n_models && rc == 0; m++) {
        char e[QB_ERR_LEN];
        if (s->models[m].rung >= 0 && access(s->models[m].path, F_OK) != 0)
            continue; /* a rung not made (yet): no identity, no key */
        if (file_quick_id(s->models[m].path, qid[m], e) < 0) {
            set_err(err, "%s: %s", s->file, e);
            rc = QB_EXIT_INPUT;
        }
    }
    for (int i = 0; i < cells->n && rc == 0; i++) {
        struct suite_cell *c = &cells->c[i];
        const struct suite_test *t = &s->tests[c->test];
        c->key[0] = '\0';
        if (!qid[c->model][0])
            continue;
        cJSON *k = cJSON_CreateObject();
        cJSON_AddStringToObject(k, "harness", SUITE_HARNESS);
        cJSON_AddStringToObject(k, "build", build);
        cJSON_AddStringToObject(k, "model", qid[c->model]);
        cJSON_AddStringToObject(k, "kind", kind_names[t->kind]);
        cJSON_AddStringToObject(k, "test", c->name);
        cJSON *w = cJSON_AddObjectToObject(k, "settings");
        const void *parts[FIELD_N_PARTS] = {&c->mp, &c->cp};
        field_write(fields_settings, fields_n_settings, FIELD_USE_WIRE, parts, FIELD_FORM_WIRE, w);
        test_params_json(t, c, w);
        cJSON_DeleteItemFromObject(w, "file"); /* files by content (below), not by name */
        cJSON_DeleteItemFromObject(w, "base");
        char fid[160], e[QB_ERR_LEN];
        if (t->kind == SUITE_QUALITY && t->file) /* the text's identity, not only its name */
            cJSON_AddStringToObject(k, "text", file_quick_id(t->file, fid, e) == 0 ? fid : "");
        if (t->kind == SUITE_QUALITY && t->base) /* and the base model's */
            cJSON_AddStringToObject(k, "base", file_quick_id(t->base, fid, e) == 0 ? fid : "");
        if (t->kind == SUITE_PROMPTS) { /* the set by its prompts and graders, not its name */
            cJSON_DeleteItemFromObject(w, "set");
            cJSON *items = cJSON_AddArrayToObject(k, "prompts");
            for (int j = 0; j < t->set.n; j++) {
                const struct prompt_item *pi = &t->set.items[j];
                cJSON *x = cJSON_CreateObject();
                cJSON_AddStringToObject(x, "id", pi->id);
                cJSON_AddStringToObject(x, "prompt", pi->prompt);
                cJSON_AddStringToObject(x, "system", pi->system ? pi->system : "");
                cJSON_AddItemToObject(x, "grader", cJSON_Duplicate(pi->grader, 1));
                cJSON_AddItemToArray(items, x);
            }
        }
        char *text = cJSON_PrintUnformatted(k);
        cJSON_Delete(k);
        struct sha256 h;
        uint8_t d[32];
        sha256_init(&h);
        sha256_update(&h, text, strlen(text));
        sha256_final(&h, d);
        sha256_hex(d, c->key);
        free(text);
    }
    return rc;
}

void suite_cells_release(struct suite_cells *c)
{
    for (int i = 0; i < c->n; i++)
        cJSON_Delete(c->c[i].settings);
    free(c->c);
    free(c->model_id);
    memset(c, 0, sizeof(*c));
}
