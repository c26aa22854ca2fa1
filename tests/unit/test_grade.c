/* The graders against tests/data/grade/cases.jsonl (every case that fails is named with
 * its line and note), <think> stripping, grader checks and the built-in set. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/grade/grade.h"
#include "../../src/grade/set.h"
#include "../../src/util/clock.h"
#include "../../src/util/exit.h"
#include "../../src/util/util.h"
#include "test.h"

/* tests/data/grade/cases.jsonl beside the build folder the test binary is in, or
 * $QB_GRADE_CASES */
static char *cases_path(void)
{
    const char *env = getenv("QB_GRADE_CASES");
    if (env && *env)
        return xstrdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return xstrdup("tests/data/grade/cases.jsonl");
    exe[n] = '\0';
    char *build = dirname(exe); /* build/ */
    char *top = dirname(build);
    return xasprintf("%s/tests/data/grade/cases.jsonl", top);
}

struct saved_env {
    char *name, *value; /* value NULL: was unset */
};

/* one case; false (after printing why) when it does not grade as it should */
static bool run_case(const cJSON *c, int line, int *n_skipped_env)
{
    const cJSON *note = cJSON_GetObjectItem(c, "note"), *answer = cJSON_GetObjectItem(c, "answer");
    const cJSON *spec = cJSON_GetObjectItem(c, "grader"), *want = cJSON_GetObjectItem(c, "want");
    const cJSON *score = cJSON_GetObjectItem(c, "score"),
                *detail = cJSON_GetObjectItem(c, "detail");
    const cJSON *absent = cJSON_GetObjectItem(c, "absent"),
                *max_s = cJSON_GetObjectItem(c, "max_s");
    const cJSON *env = cJSON_GetObjectItem(c, "env"), *e;
    const char *name = cJSON_IsString(note) ? note->valuestring : "";
    if (!cJSON_IsString(answer) || !cJSON_IsObject(spec) || !cJSON_IsString(want)) {
        fprintf(stderr, "  case line %d (%s): needs answer, grader and want\n", line, name);
        return false;
    }
    struct saved_env saved[8];
    int n_saved = 0;
    cJSON_ArrayForEach (e, env) {
        if (n_saved == 8 || !cJSON_IsString(e))
            break;
        const char *old = getenv(e->string);
        saved[n_saved++] = (struct saved_env){xstrdup(e->string), old ? xstrdup(old) : NULL};
        setenv(e->string, e->valuestring, 1);
    }
    if (cJSON_IsString(absent))
        unlink(absent->valuestring);
    struct grade_result g;
    char err[QB_ERR_LEN];
    uint64_t t0 = monotime_ns();
    int rc = grade_answer(spec, answer->valuestring, &g, err);
    double secs = (double)(monotime_ns() - t0) / 1e9;
    for (int i = n_saved - 1; i >= 0; i--) {
        if (saved[i].value)
            setenv(saved[i].name, saved[i].value, 1);
        else
            unsetenv(saved[i].name);
        free(saved[i].name);
        free(saved[i].value);
    }
    if (rc < 0) {
        fprintf(stderr, "  case line %d (%s): the grader is not valid: %s\n", line, name, err);
        return false;
    }
    const char *got = grade_verdict_name(g.verdict);
    /* a machine without python3, or whose kernel cannot confine writes, skips code cases */
    if (g.verdict == GRADE_SKIPPED && strcmp(want->valuestring, "skipped") != 0 &&
        (strstr(g.detail, "on PATH") || strstr(g.detail, "no way to confine"))) {
        fprintf(stderr, "  case line %d (%s): skipped here: %s\n", line, name, g.detail);
        (*n_skipped_env)++;
        return true;
    }
    bool ok = strcmp(got, want->valuestring) == 0;
    if (ok && cJSON_IsNumber(score) &&
        !(g.score - score->valuedouble < 1e-9 && score->valuedouble - g.score < 1e-9))
        ok = false;
    if (ok && cJSON_IsString(detail) && !strstr(g.detail, detail->valuestring))
        ok = false;
    bool leaked = cJSON_IsString(absent) && access(absent->valuestring, F_OK) == 0;
    bool slow = cJSON_IsNumber(max_s) && secs > max_s->valuedouble;
    if (!ok || leaked || slow) {
        fprintf(stderr, "  case line %d (%s): want %s%s%s got %s (score %g, %.2f s): %s%s%s\n",
                line, name, want->valuestring,
                cJSON_IsString(detail) ? " with detail containing '" : "",
                cJSON_IsString(detail) ? detail->valuestring : "", got, g.score, secs, g.detail,
                leaked ? "; THE OUTSIDE FILE WAS CREATED" : "", slow ? "; TOO SLOW" : "");
        if (leaked)
            unlink(absent->valuestring);
        return false;
    }
    CHECK(g.version >= 1);
    CHECK(strcmp(g.grader, cJSON_GetObjectItem(spec, "grader")->valuestring) == 0);
    return true;
}

void test_grade_cases(void)
{
    char *path = cases_path(), err[QB_ERR_LEN];
    size_t len;
    char *text = read_file(path, 1 << 24, &len, err);
    if (!text) {
        fprintf(stderr, "  %s\n", err);
        CHECK(text != NULL);
        free(path);
        return;
    }
    int line = 0, n = 0, bad = 0, skipped = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        line++; /* no blank lines in the file: strtok_r would hide them */
        cJSON *c = cJSON_Parse(l);
        if (!c) {
            fprintf(stderr, "  case line %d: not JSON\n", line);
            bad++;
            continue;
        }
        n++;
        bad += !run_case(c, line, &skipped);
        cJSON_Delete(c);
    }
    if (bad)
        fprintf(stderr, "  %d of %d grade cases failed (%s)\n", bad, n, path);
    if (skipped)
        fprintf(stderr, "  %d code cases skipped: no python3 or no confinement here\n", skipped);
    CHECK(bad == 0);
    CHECK(n >= 40);
    free(text);
    free(path);
}

void test_grade_think(void)
{
    bool u;
    char *s = grade_strip_think("a<think>x</think>b<think>y</think>c", &u);
    CHECK_STR(s, "abc");
    CHECK(!u);
    free(s);
    s = grade_strip_think("a<think>x", &u);
    CHECK_STR(s, "a");
    CHECK(u);
    free(s);
    s = grade_strip_think("reasoning</think>answer", &u);
    CHECK_STR(s, "answer");
    CHECK(!u);
    free(s);
    s = grade_strip_think("plain", &u);
    CHECK_STR(s, "plain");
    CHECK(!u);
    free(s);
}

static void spec_error(const char *json, const char *want)
{
    cJSON *spec = cJSON_Parse(json);
    char err[QB_ERR_LEN] = "";
    struct grade_result g;
    CHECK(spec != NULL);
    CHECK(grade_check_spec(spec, err) < 0);
    CHECK_STR(err, want);
    CHECK(grade_answer(spec, "x", &g, err) < 0);
    cJSON_Delete(spec);
}

void test_grade_specs(void)
{
    spec_error("{\"grader\": \"numbr\"}", "unknown grader 'numbr' (number, exact, regex, "
                                          "contains-all, contains-any, keywords, code)");
    spec_error("{\"answer\": 1}", "'grader' is missing or not a string");
    spec_error("{\"grader\": \"number\", \"answr\": 1}",
               "grader 'number': unknown argument 'answr'");
    spec_error("{\"grader\": \"number\", \"answer\": \"many\"}",
               "grader 'number': 'answer' is missing or not a number");
    spec_error("{\"grader\": \"regex\", \"pattern\": \"a(\"}",
               "grader 'regex': 'pattern' does not compile: Unmatched ( or \\(");
    spec_error("{\"grader\": \"keywords\", \"terms\": []}",
               "grader 'keywords': 'terms' is missing or not a non-empty array");
    spec_error("{\"grader\": \"keywords\", \"terms\": [\"a\"], \"min\": 2}",
               "grader 'keywords': 'min' is not a number from 0 to 1");
    spec_error("{\"grader\": \"exact\", \"answer\": \"a\", \"case_sensitive\": 1}",
               "grader 'exact': 'case_sensitive' is not true or false");
    spec_error("{\"grader\": \"code\", \"tests\": \"assert 1\", \"language\": \"c\"}",
               "grader 'code': 'language' must be \"python\" (the only one there is)");
    spec_error("{\"grader\": \"code\", \"tests\": \"assert 1\", \"timeout_s\": 0}",
               "grader 'code': 'timeout_s' is not a number of seconds above 0, at most 600");
    CHECK_STR(grade_verdict_name(GRADE_INCOMPLETE), "incomplete");
    CHECK_STR(grade_verdict_name(GRADE_SKIPPED), "skipped");
}

void test_grade_builtin_set(void)
{
    struct prompt_set s;
    char err[QB_ERR_LEN];
    CHECK(prompt_set_load(NULL, &s, err) == 0);
    CHECK_STR(s.name, "builtin");
    CHECK(s.n == 5);
    static const char *const cats[] = {"explanation", "arithmetic", "word problem", "coding",
                                       "logic"};
    for (int i = 0; i < s.n && i < 5; i++) {
        CHECK_STR(s.items[i].category, cats[i]);
        CHECK(s.items[i].system == NULL);
        CHECK(grade_check_spec(s.items[i].grader, err) == 0);
    }
    /* the arithmetic item: 15 x 23 */
    const struct prompt_item *it = prompt_set_find(&s, "arith-mul");
    struct grade_result g;
    CHECK(it && grade_answer(it->grader, "Answer: 345", &g, err) == 0 && g.verdict == GRADE_PASS);
    CHECK(prompt_set_find(&s, "nope") == NULL);
    prompt_set_release(&s);
    CHECK(prompt_set_load("/nonexistent/set.jsonl", &s, err) == QB_EXIT_INPUT);
    CHECK_STR(err, "cannot open '/nonexistent/set.jsonl': No such file or directory");
    prompt_set_release(&s);
}
