/* The graders table, their arguments' checks, <think> stripping and the text graders
 * (number, exact, regex, contains-all, contains-any, keywords). The code grader is in
 * code.c, the reading of answers and numbers in extract.c. */
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "grade_int.h"

/* ---------------------------------------------------------------- arguments */

/* the argument key of spec, NULL when absent */
static const cJSON *arg(const cJSON *spec, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(spec, key);
}

static bool case_sensitive(const cJSON *spec)
{
    return cJSON_IsTrue(arg(spec, "case_sensitive"));
}

static int check_bool(const cJSON *spec, const char *g, const char *key, char *err)
{
    const cJSON *v = arg(spec, key);
    if (v && !cJSON_IsBool(v))
        return set_err(err, "grader '%s': '%s' is not true or false", g, key);
    return 0;
}

static int check_terms(const cJSON *spec, const char *g, bool groups, char *err)
{
    const cJSON *t = arg(spec, "terms"), *e;
    if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) == 0)
        return set_err(err, "grader '%s': 'terms' is missing or not a non-empty array", g);
    cJSON_ArrayForEach (e, t) {
        if (groups && cJSON_IsArray(e) && cJSON_GetArraySize(e) > 0) {
            const cJSON *a;
            cJSON_ArrayForEach (a, e)
                if (!cJSON_IsString(a) || !a->valuestring[0])
                    return set_err(err, "grader '%s': a term of a group is not a non-empty string",
                                   g);
            continue;
        }
        if (!cJSON_IsString(e) || !e->valuestring[0])
            return set_err(err,
                           groups ? "grader '%s': a term is not a non-empty string or a non-empty "
                                    "array of them"
                                  : "grader '%s': a term is not a non-empty string",
                           g);
    }
    return 0;
}

/* "answer" of the number grader: a number, or a string that is one number */
static int number_answer(const cJSON *v, double *out)
{
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return isfinite(*out) ? 0 : -1;
    }
    if (!cJSON_IsString(v))
        return -1;
    const char *s = v->valuestring, *end = s + strlen(s), *next;
    while (*s == ' ')
        s++;
    if (!grade_number_at(s, end, out, &next))
        return -1;
    while (*next == ' ')
        next++;
    return *next ? -1 : 0;
}

static int check_number(const cJSON *spec, char *err)
{
    double v;
    if (number_answer(arg(spec, "answer"), &v) < 0)
        return set_err(err, "grader 'number': 'answer' is missing or not a number");
    const cJSON *t = arg(spec, "tolerance");
    if (t && (!cJSON_IsNumber(t) || !(t->valuedouble >= 0) || !isfinite(t->valuedouble)))
        return set_err(err, "grader 'number': 'tolerance' is not a number of 0 or more");
    return 0;
}

static int check_exact(const cJSON *spec, char *err)
{
    const cJSON *a = arg(spec, "answer"), *e;
    if (cJSON_IsString(a))
        return check_bool(spec, "exact", "case_sensitive", err);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) == 0)
        return set_err(err, "grader 'exact': 'answer' is missing or not a string or an array "
                            "of strings");
    cJSON_ArrayForEach (e, a)
        if (!cJSON_IsString(e))
            return set_err(err, "grader 'exact': an 'answer' of the array is not a string");
    return check_bool(spec, "exact", "case_sensitive", err);
}

static int check_regex(const cJSON *spec, char *err)
{
    const cJSON *p = arg(spec, "pattern");
    if (!cJSON_IsString(p) || !p->valuestring[0])
        return set_err(err, "grader 'regex': 'pattern' is missing or not a non-empty string");
    regex_t re;
    int rc = regcomp(&re, p->valuestring, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &re, msg, sizeof(msg));
        return set_err(err, "grader 'regex': 'pattern' does not compile: %s", msg);
    }
    regfree(&re);
    return check_bool(spec, "regex", "case_sensitive", err);
}

static int check_contains_all(const cJSON *spec, char *err)
{
    if (check_terms(spec, "contains-all", false, err) < 0)
        return -1;
    return check_bool(spec, "contains-all", "case_sensitive", err);
}

static int check_contains_any(const cJSON *spec, char *err)
{
    if (check_terms(spec, "contains-any", false, err) < 0)
        return -1;
    return check_bool(spec, "contains-any", "case_sensitive", err);
}

static int check_keywords(const cJSON *spec, char *err)
{
    if (check_terms(spec, "keywords", true, err) < 0)
        return -1;
    const cJSON *m = arg(spec, "min");
    if (m && (!cJSON_IsNumber(m) || !(m->valuedouble >= 0 && m->valuedouble <= 1)))
        return set_err(err, "grader 'keywords': 'min' is not a number from 0 to 1");
    return check_bool(spec, "keywords", "case_sensitive", err);
}

/* ---------------------------------------------------------------- text helpers */

/* needle in hay (ASCII case folded unless cs); at a word start when word_start */
static const char *find(const char *hay, const char *needle, bool cs, bool word_start)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++) {
        if ((cs ? strncmp(p, needle, n) : strncasecmp(p, needle, n)) != 0)
            continue;
        if (word_start && p > hay && isalnum((unsigned char)p[-1]) && isalnum((unsigned char)*p))
            continue;
        return p;
    }
    return NULL;
}

/* s trimmed of spaces, markdown emphasis, quotes and a final period, spaces collapsed:
 * the form exact compares (the caller frees) */
static char *exact_norm(const char *s, size_t n)
{
    static const char *const wrap[] = {
        "**",           "__",           "*",           "_", "`", "\"", "'", "\xe2\x80\x9c",
        "\xe2\x80\x9d", "\xe2\x80\x98", "\xe2\x80\x99"};
    const char *b = s, *e = s + n;
    for (bool more = true; more;) {
        more = false;
        while (b < e && isspace((unsigned char)*b))
            b++;
        while (e > b && (isspace((unsigned char)e[-1]) || e[-1] == '.' || e[-1] == '!'))
            e--, more = true;
        for (size_t i = 0; i < QB_ARRAY_LEN(wrap); i++) {
            size_t k = strlen(wrap[i]);
            if ((size_t)(e - b) >= k && memcmp(b, wrap[i], k) == 0)
                b += k, more = true;
            if ((size_t)(e - b) >= k && memcmp(e - k, wrap[i], k) == 0)
                e -= k, more = true;
        }
    }
    char *out = xmalloc((size_t)(e - b) + 1);
    size_t k = 0;
    for (const char *p = b; p < e; p++) {
        if (isspace((unsigned char)*p)) {
            if (k && out[k - 1] != ' ')
                out[k++] = ' ';
        } else {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
    return out;
}

/* ---------------------------------------------------------------- graders */

static void grade_number(const cJSON *spec, const char *text, struct grade_result *out)
{
    double want = 0, got = 0, tol = 1e-6;
    number_answer(arg(spec, "answer"), &want);
    if (cJSON_IsNumber(arg(spec, "tolerance")))
        tol = arg(spec, "tolerance")->valuedouble;
    struct grade_marker m[64];
    int n = grade_find_markers(text, m, (int)QB_ARRAY_LEN(m));
    const char *from = NULL;
    /* the last marker that states a number: a model that corrects itself marks again */
    for (int i = n - 1; i >= 0 && !from; i--)
        if (grade_region_number(m[i].start, m[i].end, &got))
            from = m[i].name;
    char src[64];
    if (from) {
        snprintf(src, sizeof(src), "from '%s'", from);
    } else if (grade_last_number(text, text + strlen(text), &got)) {
        snprintf(src, sizeof(src), "the last number; no answer marker");
    } else {
        out->verdict = GRADE_FAIL;
        grade_detail(out, "no number found, expected %.15g", want);
        return;
    }
    bool ok = fabs(got - want) <= tol + 1e-12 * fabs(want);
    out->verdict = ok ? GRADE_PASS : GRADE_FAIL;
    if (ok)
        grade_detail(out, "answer %.15g (%s)", got, src);
    else
        grade_detail(out, "answer %.15g (%s), expected %.15g", got, src, want);
}

static void grade_exact(const cJSON *spec, const char *text, struct grade_result *out)
{
    struct grade_marker m[64];
    int n = grade_find_markers(text, m, (int)QB_ARRAY_LEN(m));
    const char *b = text, *e = text + strlen(text), *from = NULL;
    /* the last marker with something after it */
    for (int i = n - 1; i >= 0; i--) {
        char *t = exact_norm(m[i].start, (size_t)(m[i].end - m[i].start));
        bool empty = !t[0];
        free(t);
        if (!empty) {
            b = m[i].start, e = m[i].end, from = m[i].name;
            break;
        }
    }
    char *got = exact_norm(b, (size_t)(e - b));
    bool cs = case_sensitive(spec), ok = false;
    const cJSON *a = arg(spec, "answer"), *it;
    char *first = NULL;
    if (cJSON_IsString(a)) {
        first = exact_norm(a->valuestring, strlen(a->valuestring));
        ok = (cs ? strcmp(got, first) : strcasecmp(got, first)) == 0;
    } else {
        cJSON_ArrayForEach (it, a) {
            char *w = exact_norm(it->valuestring, strlen(it->valuestring));
            ok = ok || (cs ? strcmp(got, w) : strcasecmp(got, w)) == 0;
            if (!first)
                first = w;
            else
                free(w);
        }
    }
    char ex[96], src[48] = "the whole answer";
    grade_excerpt(got, strlen(got), 80, ex, sizeof(ex));
    if (from)
        snprintf(src, sizeof(src), "from '%s'", from);
    out->verdict = ok ? GRADE_PASS : GRADE_FAIL;
    if (ok)
        grade_detail(out, "'%s' (%s)", ex, src);
    else
        grade_detail(out, "'%s' (%s), expected '%s'", ex, src, first);
    free(first);
    free(got);
}

static void grade_regex(const cJSON *spec, const char *text, struct grade_result *out)
{
    const char *pat = arg(spec, "pattern")->valuestring;
    regex_t re;
    int flags = REG_EXTENDED | REG_NEWLINE | (case_sensitive(spec) ? 0 : REG_ICASE);
    if (regcomp(&re, pat, flags) != 0) { /* checked before; a locale could differ */
        out->verdict = GRADE_ERROR;
        grade_detail(out, "the pattern does not compile");
        return;
    }
    regmatch_t mt;
    bool ok = regexec(&re, text, 1, &mt, 0) == 0;
    regfree(&re);
    out->verdict = ok ? GRADE_PASS : GRADE_FAIL;
    char ex[96];
    if (ok)
        grade_detail(
            out, "matched '%s'",
            grade_excerpt(text + mt.rm_so, (size_t)(mt.rm_eo - mt.rm_so), 80, ex, sizeof(ex)));
    else
        grade_detail(out, "no match for /%s/", grade_excerpt(pat, strlen(pat), 80, ex, sizeof(ex)));
}

static void grade_contains(const cJSON *spec, const char *text, struct grade_result *out, bool all)
{
    bool cs = case_sensitive(spec);
    const cJSON *t = arg(spec, "terms"), *e;
    int n = 0, found = 0;
    const char *missing = NULL, *hit = NULL;
    cJSON_ArrayForEach (e, t) {
        n++;
        if (find(text, e->valuestring, cs, false)) {
            found++;
            if (!hit)
                hit = e->valuestring;
        } else if (!missing) {
            missing = e->valuestring;
        }
    }
    char ex[96];
    if (all) {
        out->verdict = found == n ? GRADE_PASS : GRADE_FAIL;
        if (found == n)
            grade_detail(out, "%d/%d terms found", found, n);
        else
            grade_detail(out, "%d/%d terms found; missing '%s'", found, n,
                         grade_excerpt(missing, strlen(missing), 60, ex, sizeof(ex)));
    } else {
        out->verdict = found ? GRADE_PASS : GRADE_FAIL;
        if (found)
            grade_detail(out, "found '%s'", grade_excerpt(hit, strlen(hit), 60, ex, sizeof(ex)));
        else
            grade_detail(out, "none of %d terms found", n);
    }
}

static void grade_keywords(const cJSON *spec, const char *text, struct grade_result *out)
{
    bool cs = case_sensitive(spec);
    double min = cJSON_IsNumber(arg(spec, "min")) ? arg(spec, "min")->valuedouble : 0.5;
    const cJSON *t = arg(spec, "terms"), *e;
    int n = 0, found = 0;
    char miss[256] = "";
    size_t ml = 0;
    cJSON_ArrayForEach (e, t) {
        n++;
        bool hit = false;
        const char *name = cJSON_IsString(e) ? e->valuestring : NULL;
        if (name) {
            hit = find(text, name, cs, true) != NULL;
        } else {
            const cJSON *a;
            cJSON_ArrayForEach (a, e) {
                if (!name)
                    name = a->valuestring;
                hit = hit || find(text, a->valuestring, cs, true) != NULL;
            }
        }
        if (hit) {
            found++;
        } else if (ml + 8 < sizeof(miss)) {
            char ex[64];
            int k = snprintf(miss + ml, sizeof(miss) - ml, "%s'%s'", ml ? ", " : "",
                             grade_excerpt(name, strlen(name), 40, ex, sizeof(ex)));
            ml = k > 0 && (size_t)k < sizeof(miss) - ml ? ml + (size_t)k : sizeof(miss);
        }
    }
    out->score = (double)found / n;
    out->verdict = out->score + 1e-12 >= min ? GRADE_PASS : GRADE_FAIL;
    if (found == n)
        grade_detail(out, "%d/%d terms (%.2f)", found, n, out->score);
    else
        grade_detail(out, "%d/%d terms (%.2f, pass from %.2f); missing %s", found, n, out->score,
                     min, miss);
}

static void grade_contains_all(const cJSON *spec, const char *text, struct grade_result *out)
{
    grade_contains(spec, text, out, true);
}

static void grade_contains_any(const cJSON *spec, const char *text, struct grade_result *out)
{
    grade_contains(spec, text, out, false);
}

struct grader {
    const char *name;
    int version;               /* bump when the rules change: stored with each grade */
    const char *const args[6]; /* the arguments it takes besides "grader" */
    int (*check)(const cJSON *spec, char *err);
    void (*grade)(const cJSON *spec, const char *text, struct grade_result *out);
};

static const struct grader graders[] = {
    {"number", 1, {"answer", "tolerance"}, check_number, grade_number},
    {"exact", 1, {"answer", "case_sensitive"}, check_exact, grade_exact},
    {"regex", 1, {"pattern", "case_sensitive"}, check_regex, grade_regex},
    {"contains-all", 1, {"terms", "case_sensitive"}, check_contains_all, grade_contains_all},
    {"contains-any", 1, {"terms", "case_sensitive"}, check_contains_any, grade_contains_any},
    {"keywords", 1, {"terms", "min", "case_sensitive"}, check_keywords, grade_keywords},
    {"code", 1, {"language", "tests", "timeout_s", "memory_mb"}, grade_code_check, grade_code},
};

const char *grade_names(void)
{
    return "number, exact, regex, contains-all, contains-any, keywords, code";
}

static const struct grader *grader_of(const cJSON *spec, char *err)
{
    if (!cJSON_IsObject(spec)) {
        set_err(err, "a grader is not a JSON object");
        return NULL;
    }
    const cJSON *g = arg(spec, "grader");
    if (!cJSON_IsString(g)) {
        set_err(err, "'grader' is missing or not a string");
        return NULL;
    }
    for (size_t i = 0; i < QB_ARRAY_LEN(graders); i++)
        if (strcmp(graders[i].name, g->valuestring) == 0)
            return &graders[i];
    char ex[64];
    set_err(err, "unknown grader '%s' (%s)",
            grade_excerpt(g->valuestring, strlen(g->valuestring), 40, ex, sizeof(ex)),
            grade_names());
    return NULL;
}

int grade_check_spec(const cJSON *spec, char *err)
{
    const struct grader *gr = grader_of(spec, err);
    if (!gr)
        return -1;
    const cJSON *a;
    cJSON_ArrayForEach (a, spec) {
        bool known = strcmp(a->string, "grader") == 0;
        for (size_t i = 0; i < QB_ARRAY_LEN(gr->args) && gr->args[i] && !known; i++)
            known = strcmp(a->string, gr->args[i]) == 0;
        if (!known) {
            char ex[64];
            return set_err(err, "grader '%s': unknown argument '%s'", gr->name,
                           grade_excerpt(a->string, strlen(a->string), 40, ex, sizeof(ex)));
        }
    }
    return gr->check(spec, err);
}

int grade_answer(const cJSON *spec, const char *answer, struct grade_result *out, char *err)
{
    if (grade_check_spec(spec, err) < 0)
        return -1;
    const struct grader *gr = grader_of(spec, err);
    memset(out, 0, sizeof(*out));
    snprintf(out->grader, sizeof(out->grader), "%s", gr->name);
    out->version = gr->version;
    bool unclosed;
    char *text = grade_strip_think(answer, &unclosed);
    if (unclosed) {
        out->verdict = GRADE_INCOMPLETE;
        grade_detail(out, "a <think> is never closed (the answer was cut off in its reasoning)");
    } else {
        out->score = -1;
        gr->grade(spec, text, out);
        if (out->score < 0)
            out->score = out->verdict == GRADE_PASS ? 1 : 0;
    }
    free(text);
    return 0;
}

const char *grade_verdict_name(enum grade_verdict v)
{
    switch (v) {
    case GRADE_PASS: return "pass";
    case GRADE_FAIL: return "fail";
    case GRADE_INCOMPLETE: return "incomplete";
    case GRADE_SKIPPED: return "skipped";
    case GRADE_ERROR: return "error";
    }
    return "error";
}

char *grade_strip_think(const char *answer, bool *unclosed)
{
    static const char open[] = "<think>", close[] = "</think>";
    *unclosed = false;
    const char *p = answer, *o = strstr(p, open), *c = strstr(p, close);
    if (c && (!o || c < o)) /* the template opened the reasoning in the prompt */
        p = c + strlen(close);
    size_t cap = strlen(p) + 1, n = 0;
    char *out = xmalloc(cap);
    while ((o = strstr(p, open)) != NULL) {
        memcpy(out + n, p, (size_t)(o - p));
        n += (size_t)(o - p);
        c = strstr(o + strlen(open), close);
        if (!c) {
            *unclosed = true;
            p = "";
            break;
        }
        p = c + strlen(close);
    }
    memcpy(out + n, p, strlen(p));
    n += strlen(p);
    out[n] = '\0';
    return out;
}
