/* quantbench prompts: prompt sets and their graders. --grade FILE grades answers given in
 * a file (no model); --set list shows the built-in set and how to write one. With -m
 * MODEL the command generates the answers (prompts_gen.c) and grades them as they come. */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../grade/grade.h"
#include "../grade/set.h"
#include "../report/table.h"
#include "../store/dbrun.h"
#include "../store/store.h"
#include "../util/json.h"
#include "cmd.h"
#include "prompts_gen.h"

#define ANSWERS_FILE_MAX (256u << 20)

static const char prompts_help[] =
    "usage: quantbench prompts --grade FILE.jsonl [--set NAME|FILE] [-o md|json]\n"
    "       quantbench prompts --regrade RUN [--set NAME|FILE] [--db PATH] [-o md|json]\n"
    "       quantbench prompts --set list\n"
    "       quantbench prompts -m MODEL [--set NAME|FILE] ... (quantbench prompts -m x --help)\n"
    "\n"
    "Grades answers to a prompt set. FILE.jsonl holds one answer a line, {\"id\": ...,\n"
    "\"answer\": ...} (other fields are ignored), each id one of the set's; an id may come\n"
    "more than once. Each answer gets a verdict (pass, fail, incomplete, skipped, error), a\n"
    "score (1 or 0; keywords: the fraction of its terms found) and what the grader found.\n"
    "\n"
    "Graders: number (the final answer: an 'Answer:', '####' or \\boxed{} marker, else the\n"
    "last number; thousands separators, currency signs, a final period ignored), exact,\n"
    "regex, contains-all, contains-any, keywords, code (the answer's first ```python block\n"
    "run with the item's tests by python3 in a confined child process: a temporary\n"
    "directory, a timeout, CPU, memory, file size and process limits, writes only in its\n"
    "directory and no network where the kernel allows; 'skipped' without python3 or without\n"
    "a way to confine its writes). <think>...</think> is removed first; a <think> never\n"
    "closed grades 'incomplete'.\n"
    "\n"
    "Flags:\n"
    "  --grade FILE       the answers to grade\n"
    "  --regrade RUN      grade a stored run's answers (an id or label) again with today's\n"
    "                     graders, against the set they were answered from (or --set)\n"
    "  --set NAME|FILE    the prompt set: builtin (the default) or a JSONL file; 'list'\n"
    "                     shows the built-in set and the file format\n"
    "  -o, --output FMT   md (default, a table and a summary line) or json\n"
    "\n"
    "Environment: QB_PYTHON, the Python of the code grader (default python3 on PATH).\n"
    "\n" QB_EXIT_CODES_HELP "  (prompts: 4 when an answer could not be graded, verdict 'error')\n";

struct prompts_opts {
    const char *grade_file; /* --grade */
    const char *regrade;    /* --regrade RUN: a stored run's answers */
    const char *set;        /* --set; NULL: the built-in one */
    bool list;              /* --set list */
    enum bench_fmt fmt;     /* -o */
    bool help;
};

/* 0 with o filled (o->help: the help was asked for), or the exit code of a usage error */
static int parse_args(int argc, char **argv, struct prompts_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->fmt = BENCH_FMT_MD;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            o->help = true;
            return 0;
        } else if (strcmp(a, "--grade") == 0 || strcmp(a, "--set") == 0 || strcmp(a, "-o") == 0 ||
                   strcmp(a, "--output") == 0 || strcmp(a, "--regrade") == 0) {
            if (!has_value)
                return usage_error("prompts", "%s needs a value", a);
            const char *v = argv[++i];
            if (strcmp(a, "--grade") == 0) {
                o->grade_file = v;
            } else if (strcmp(a, "--regrade") == 0) {
                o->regrade = v;
            } else if (strcmp(a, "--set") == 0) {
                o->list = strcmp(v, "list") == 0;
                o->set = o->list ? NULL : v;
            } else {
                char err[QB_ERR_LEN];
                const unsigned fmts = BENCH_FMT_BIT(BENCH_FMT_MD) | BENCH_FMT_BIT(BENCH_FMT_JSON);
                if (bench_fmt_flag(v, fmts, NULL, &o->fmt, err) < 0)
                    return usage_error("prompts", "%s", err);
            }
        } else if (a[0] == '-' && a[1]) {
            return usage_error("prompts", "unknown flag '%s'", a);
        } else {
            return usage_error("prompts", "unexpected argument '%s'", a);
        }
    }
    if (o->list && (o->grade_file || o->regrade))
        return usage_error("prompts", "--set list lists the built-in set; it grades nothing");
    if (o->grade_file && o->regrade)
        return usage_error("prompts", "--grade grades a file, --regrade a stored run: one of them");
    if (!o->list && !o->grade_file && !o->regrade)
        return usage_error("prompts", "nothing to do: give --grade FILE.jsonl or --set list");
    return 0;
}

struct answer {
    char *id, *text;
    int line;
};

/* the answers of stored run `run` (an id or label): its prompts rows in order, and the
 * set they were answered from (the first row's, static to the rows: copied into set) */
static int answers_stored(const char *run, struct answer **out, int *n, char *set, size_t n_set,
                          char *err)
{
    int code;
    *out = NULL;
    *n = 0;
    struct store *st = dbrun_open_existing(dbrun_path(), &code, err);
    if (!st)
        return code;
    int64_t id = store_find_run(st, run);
    int rc = 0;
    cJSON *rows = NULL;
    struct store_filter f = {.run_id = id, .kind = "prompts"};
    if (id <= 0) {
        set_err(err, "no run '%s' in the database", run);
        rc = QB_EXIT_INPUT;
    } else if (store_query(st, &f, &rows, err) < 0) {
        rc = QB_EXIT_FAIL;
    } else if (cJSON_GetArraySize(rows) == 0) {
        set_err(err, "run %lld holds no answers (prompts rows)", (long long)id);
        rc = QB_EXIT_INPUT;
    }
    const cJSON *r;
    const cJSON *list = rc ? NULL : rows;
    cJSON_ArrayForEach (r, list) {
        const cJSON *row = cJSON_GetObjectItemCaseSensitive(r, "row");
        const char *i = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "id"));
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "text"));
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "set"));
        if (!i || !t) {
            set_err(err, "run %lld: a prompts row without its id or text", (long long)id);
            rc = QB_EXIT_INPUT;
            break;
        }
        if (*n == 0)
            snprintf(set, n_set, "%s", s && s[0] ? s : "builtin");
        *out = xrealloc(*out, (size_t)(*n + 1) * sizeof(**out));
        (*out)[*n] =
            (struct answer){xstrdup(i), xstrdup(t),
                            (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "id"))};
        ++*n;
    }
    cJSON_Delete(rows);
    store_close(st);
    return rc;
}

static void answers_free(struct answer *a, int n)
{
    for (int i = 0; i < n; i++) {
        free(a[i].id);
        free(a[i].text);
    }
    free(a);
}

/* the answers of path, every id checked against s; 0, or QB_EXIT_INPUT with err */
static int answers_read(const char *path, const struct prompt_set *s, struct answer **out, int *n,
                        char *err)
{
    size_t len;
    char *text = read_file(path, ANSWERS_FILE_MAX, &len, err);
    *out = NULL;
    *n = 0;
    if (!text)
        return QB_EXIT_INPUT;
    int cap = 0, rc = 0;
    struct jsonl r;
    jsonl_init(&r, text, len);
    for (cJSON *o; rc == 0 && jsonl_next(&r, &o); cJSON_Delete(o)) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        const cJSON *ans = cJSON_GetObjectItemCaseSensitive(o, "answer");
        if (!o)
            rc = set_err(err, "%s:%d: not a JSON object", path, r.line);
        else if (!cJSON_IsString(id) || !cJSON_IsString(ans))
            rc = set_err(err, "%s:%d: field '%s' is %s", path, r.line,
                         cJSON_IsString(id) ? "answer" : "id",
                         (cJSON_IsString(id) ? ans : id) ? "not a string" : "missing");
        else if (!prompt_set_find(s, id->valuestring))
            rc = set_err(err, "%s:%d: id '%s' is not in the set '%s'", path, r.line,
                         id->valuestring, s->name);
        if (rc)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *out = xrealloc(*out, (size_t)cap * sizeof(**out));
        }
        (*out)[(*n)++] =
            (struct answer){xstrdup(id->valuestring), xstrdup(ans->valuestring), r.line};
    }
    free(text);
    if (rc == 0 && *n == 0)
        rc = set_err(err, "'%s' has no answers", path);
    if (rc) {
        answers_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc ? QB_EXIT_INPUT : 0;
}

static int grade_all(const struct prompts_opts *o)
{
    struct prompt_set s;
    char err[QB_ERR_LEN], stored_set[1024] = "";
    struct answer *ans = NULL;
    int n = 0, rc = 0;
    if (o->regrade &&
        (rc = answers_stored(o->regrade, &ans, &n, stored_set, sizeof(stored_set), err)) != 0) {
        error("%s", err);
        answers_free(ans, n);
        return rc;
    }
    /* --regrade: the set the answers came from, unless --set names another */
    rc = prompt_set_load(o->set ? o->set : stored_set[0] ? stored_set : NULL, &s, err);
    if (rc) {
        error("%s", err);
        prompt_set_release(&s);
        answers_free(ans, n);
        return rc;
    }
    for (int i = 0; i < n; i++)
        if (!prompt_set_find(&s, ans[i].id)) {
            error("stored answer '%s' is not in set '%s'", ans[i].id, s.name);
            answers_free(ans, n);
            prompt_set_release(&s);
            return QB_EXIT_INPUT;
        }
    if (!o->regrade)
        rc = answers_read(o->grade_file, &s, &ans, &n, err);
    if (rc) {
        error("%s", err);
        prompt_set_release(&s);
        return rc;
    }
    static const char *const heads[] = {"id", "category", "verdict", "score", "grader", "detail"};
    struct text_table t;
    cJSON *rows = cJSON_CreateArray();
    if (o->fmt == BENCH_FMT_MD)
        text_table_begin(&t, stdout, BENCH_FMT_MD, heads, "lllrll", 6);
    int counts[GRADE_ERROR + 1] = {0};
    double score_sum = 0;
    for (int i = 0; i < n; i++) {
        const struct prompt_item *it = prompt_set_find(&s, ans[i].id);
        struct grade_result g;
        if (grade_answer(it->grader, ans[i].text, &g, err) < 0) { /* checked when loaded */
            g = (struct grade_result){.verdict = GRADE_ERROR};
            snprintf(g.detail, sizeof(g.detail), "%.400s", err);
        }
        counts[g.verdict]++;
        score_sum += g.score;
        if (o->fmt == BENCH_FMT_MD) {
            char score[32], grader[48];
            snprintf(score, sizeof(score), "%.3g", g.score);
            snprintf(grader, sizeof(grader), "%s@%d", g.grader, g.version);
            const char *cells[] = {it->id, it->category, grade_verdict_name(g.verdict),
                                   score,  grader,       g.detail};
            text_table_row(&t, cells);
        } else {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "id", it->id);
            cJSON_AddStringToObject(r, "category", it->category);
            cJSON_AddStringToObject(r, "verdict", grade_verdict_name(g.verdict));
            cJSON_AddNumberToObject(r, "score", g.score);
            cJSON_AddStringToObject(r, "grader", g.grader);
            cJSON_AddNumberToObject(r, "grader_version", g.version);
            cJSON_AddStringToObject(r, "detail", g.detail);
            cJSON_AddNumberToObject(r, "line", ans[i].line);
            cJSON_AddItemToArray(rows, r);
        }
    }
    if (o->fmt == BENCH_FMT_MD) {
        text_table_end(&t);
        printf("\n%d answer%s (set %s): %d pass, %d fail, %d incomplete, %d skipped, %d error; "
               "mean score %.3f\n",
               n, n == 1 ? "" : "s", s.name, counts[GRADE_PASS], counts[GRADE_FAIL],
               counts[GRADE_INCOMPLETE], counts[GRADE_SKIPPED], counts[GRADE_ERROR], score_sum / n);
    } else {
        char *j = cJSON_Print(rows);
        printf("%s\n", j);
        free(j);
    }
    cJSON_Delete(rows);
    answers_free(ans, n);
    prompt_set_release(&s);
    if (fflush(stdout) != 0)
        return error("cannot write to stdout");
    return counts[GRADE_ERROR] ? QB_EXIT_PARTIAL : QB_EXIT_OK;
}

int cmd_prompts(int argc, char **argv)
{
    /* two modes: grading answers from a file (--grade, --set list: below) and generating
     * them with a model (prompts_gen.c), graded as they come; --help shows both */
    bool grading = false, help = false;
    for (int i = 1; i < argc; i++) {
        grading |= !strcmp(argv[i], "--grade") || !strcmp(argv[i], "--regrade") ||
                   (!strcmp(argv[i], "--set") && i + 1 < argc && !strcmp(argv[i + 1], "list"));
        help |= !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
    }
    if (argc < 2)
        return usage_error("prompts", "nothing to do: give -m MODEL, --grade FILE.jsonl or "
                                      "--set list");
    if (help && !grading) {
        char *hv[] = {argv[0], (char *)"--help", NULL};
        prompts_generate(2, hv);
        fputs("\n", stdout);
        fputs(prompts_help, stdout);
        return QB_EXIT_OK;
    }
    if (!grading)
        return prompts_generate(argc, argv);
    struct prompts_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    if (o.help) {
        fputs(prompts_help, stdout);
        return QB_EXIT_OK;
    }
    if (o.list) {
        prompt_set_list(stdout);
        return fflush(stdout) == 0 ? QB_EXIT_OK : error("cannot write to stdout");
    }
    return grade_all(&o);
}
