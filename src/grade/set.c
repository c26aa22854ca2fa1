/* Prompt sets (see set.h): the built-in set is JSONL text read by the same loader as the
 * user's files, so both follow the same rules. */
#include "set.h"

#include <stdlib.h>
#include <string.h>

#include "../util/exit.h"
#include "../util/json.h"
#include "../util/util.h"
#include "grade_int.h"

#define SET_FILE_MAX (64u << 20)

/* clang-format off */
static const char builtin_jsonl[] =
    "{\"id\": \"explain-sky\", \"category\": \"explanation\", "
    "\"prompt\": \"Explain in two or three sentences why the sky is blue.\", "
    "\"grader\": \"keywords\", \"terms\": [\"scatter\", [\"wavelength\", \"frequency\"], "
    "[\"atmosphere\", \"air\", \"molecule\", \"gas\"], [\"Rayleigh\", \"shorter\"]], \"min\": 0.75}\n"

    "{\"id\": \"arith-mul\", \"category\": \"arithmetic\", "
    "\"prompt\": \"What is 15 \xc3\x97 23? End with a line 'Answer: N'.\", "
    "\"grader\": \"number\", \"answer\": 345}\n"

    "{\"id\": \"word-muffins\", \"category\": \"word problem\", "
    "\"prompt\": \"A bakery sells muffins for $3 each. On Monday it sold 48 muffins, and on "
    "Tuesday it sold 25% more muffins than on Monday. How many dollars did the bakery take in "
    "from muffins over the two days? End with a line 'Answer: N'.\", "
    "\"grader\": \"number\", \"answer\": 324}\n"

    "{\"id\": \"code-factorial\", \"category\": \"coding\", "
    "\"prompt\": \"Write a Python function factorial(n) that returns n! for a whole number "
    "n >= 0 (factorial(0) is 1) and raises ValueError for a negative n. Reply with the "
    "function in one ```python code block.\", "
    "\"grader\": \"code\", \"language\": \"python\", \"timeout_s\": 10, \"tests\": "
    "\"def raises_value_error(n):\\n"
    "    try:\\n"
    "        factorial(n)\\n"
    "    except ValueError:\\n"
    "        return True\\n"
    "    except Exception:\\n"
    "        return False\\n"
    "    return False\\n"
    "assert factorial(0) == 1\\n"
    "assert factorial(1) == 1\\n"
    "assert factorial(5) == 120\\n"
    "assert factorial(10) == 3628800\\n"
    "assert factorial(20) == 2432902008176640000\\n"
    "assert raises_value_error(-1)\\n\"}\n"

    "{\"id\": \"logic-pets\", \"category\": \"logic\", "
    "\"prompt\": \"Alice, Bob and Carol each own exactly one pet: a cat, a dog or a fish, no two "
    "the same. Alice does not own the dog. Bob owns the fish. Who owns the cat? End with a "
    "line 'Answer: NAME'.\", "
    "\"grader\": \"exact\", \"answer\": \"Alice\"}\n";
/* clang-format on */

static const char *const item_fields[] = {"id", "category", "prompt", "system"};

static bool is_item_field(const char *k)
{
    for (size_t i = 0; i < QB_ARRAY_LEN(item_fields); i++)
        if (strcmp(k, item_fields[i]) == 0)
            return true;
    return false;
}

/* a string field: the copy (the caller's), NULL with err when missing or not a string (or
 * empty, unless may_be_empty) */
static char *str_field(const cJSON *o, const char *key, bool may_be_empty, const char *where,
                       char *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        set_err(err, "%s: field '%s' is missing", where, key);
    else if (!cJSON_IsString(v))
        set_err(err, "%s: field '%s' is not a string", where, key);
    else if (!may_be_empty && !v->valuestring[0])
        set_err(err, "%s: field '%s' is empty", where, key);
    else
        return xstrdup(v->valuestring);
    return NULL;
}

/* the grader object of a line: "grader": {...}, or "grader": NAME and the other fields */
static cJSON *line_grader(const cJSON *o, const char *where, int *code, char *err)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "grader"), *f;
    cJSON *spec;
    *code = QB_EXIT_INPUT;
    if (cJSON_IsObject(g)) {
        cJSON_ArrayForEach (f, o)
            if (!is_item_field(f->string) && strcmp(f->string, "grader") != 0) {
                char ex[64];
                set_err(err, "%s: unknown field '%s' (the grader's arguments are in its object)",
                        where, grade_excerpt(f->string, strlen(f->string), 40, ex, sizeof(ex)));
                return NULL;
            }
        spec = cJSON_Duplicate(g, 1);
    } else if (cJSON_IsString(g)) {
        spec = cJSON_CreateObject();
        cJSON_ArrayForEach (f, o)
            if (!is_item_field(f->string))
                cJSON_AddItemToObject(spec, f->string, cJSON_Duplicate(f, 1));
    } else {
        set_err(err,
                g ? "%s: field 'grader' is not a string or an object"
                  : "%s: field 'grader' is missing",
                where);
        return NULL;
    }
    char e2[QB_ERR_LEN];
    if (grade_check_spec(spec, e2) < 0) {
        set_err(err, "%s: %s", where, e2);
        *code = QB_EXIT_USAGE;
        cJSON_Delete(spec);
        return NULL;
    }
    return spec;
}

static void item_release(struct prompt_item *it)
{
    free(it->id);
    free(it->category);
    free(it->prompt);
    free(it->system);
    cJSON_Delete(it->grader);
    memset(it, 0, sizeof(*it));
}

/* one line's item (o, the line parsed) into it; 0 or the exit code with err */
static int parse_item(const cJSON *o, const char *where, struct prompt_item *it, char *err)
{
    memset(it, 0, sizeof(*it));
    int code = QB_EXIT_INPUT;
    const cJSON *sys = cJSON_GetObjectItemCaseSensitive(o, "system");
    if (!(it->id = str_field(o, "id", false, where, err)) ||
        !(it->category = str_field(o, "category", true, where, err)) ||
        !(it->prompt = str_field(o, "prompt", false, where, err)))
        goto fail;
    if (sys && !cJSON_IsNull(sys)) {
        if (!(it->system = str_field(o, "system", true, where, err)))
            goto fail;
    }
    if (!(it->grader = line_grader(o, where, &code, err)))
        goto fail;
    return 0;
fail:
    item_release(it);
    return code;
}

int prompt_set_parse(const char *text, size_t len, const char *fname, struct prompt_set *s,
                     char *err)
{
    memset(s, 0, sizeof(*s));
    s->name = xstrdup(fname);
    struct jsonl r;
    int cap = 0, rc = 0;
    jsonl_init(&r, text, len);
    for (cJSON *o; rc == 0 && jsonl_next(&r, &o); cJSON_Delete(o)) {
        char where[1200];
        snprintf(where, sizeof(where), "%s:%d", fname, r.line);
        if (!o) {
            set_err(err, "%s: not a JSON object", where);
            rc = QB_EXIT_INPUT;
            continue;
        }
        if (s->n == cap) {
            cap = cap ? 2 * cap : 16;
            s->items = xrealloc(s->items, (size_t)cap * sizeof(*s->items));
        }
        struct prompt_item *it = &s->items[s->n];
        if ((rc = parse_item(o, where, it, err)) != 0)
            continue;
        s->n++;
        for (int k = 0; k < s->n - 1 && rc == 0; k++)
            if (strcmp(s->items[k].id, it->id) == 0) {
                char ex[64];
                set_err(err, "%s: id '%s' is used twice in the set", where,
                        grade_excerpt(it->id, strlen(it->id), 40, ex, sizeof(ex)));
                rc = QB_EXIT_INPUT;
            }
    }
    if (rc == 0 && s->n == 0) {
        set_err(err, "'%s' has no prompts", fname);
        rc = QB_EXIT_INPUT;
    }
    return rc;
}

int prompt_set_load(const char *name, struct prompt_set *s, char *err)
{
    memset(s, 0, sizeof(*s));
    if (!name || strcmp(name, "builtin") == 0) {
        return prompt_set_parse(builtin_jsonl, strlen(builtin_jsonl), "builtin", s, err);
    }
    size_t len;
    char *text = read_file(name, SET_FILE_MAX, &len, err);
    if (!text) {
        s->name = xstrdup(name);
        return QB_EXIT_INPUT;
    }
    int rc = prompt_set_parse(text, len, name, s, err);
    free(text);
    return rc;
}

void prompt_set_release(struct prompt_set *s)
{
    for (int i = 0; i < s->n; i++)
        item_release(&s->items[i]);
    free(s->items);
    free(s->name);
    memset(s, 0, sizeof(*s));
}

const struct prompt_item *prompt_set_find(const struct prompt_set *s, const char *id)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->items[i].id, id) == 0)
            return &s->items[i];
    return NULL;
}

void prompt_set_list(FILE *fp)
{
    struct prompt_set s;
    char err[QB_ERR_LEN];
    if (prompt_set_load("builtin", &s, err) != 0) { /* the unit tests load it: never here */
        fprintf(fp, "the built-in set does not load: %s\n", err);
        prompt_set_release(&s);
        return;
    }
    fprintf(fp, "builtin: the built-in set (the default of --set), %d prompts\n", s.n);
    for (int i = 0; i < s.n; i++) {
        const struct prompt_item *it = &s.items[i];
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(it->grader, "grader");
        fprintf(fp, "  %-15s %-13s %-9s ", it->id, it->category, g->valuestring);
        fput_escaped(it->prompt, 0, fp);
        fputc('\n', fp);
    }
    prompt_set_release(&s);
    fputs(
        "\nA set file (--set FILE) is JSONL, one prompt a line:\n"
        "  {\"id\": \"mul\", \"category\": \"arithmetic\", \"prompt\": \"What is 15 x 23?\", "
        "\"grader\": \"number\", \"answer\": 345}\n"
        "Fields: id (unique in the set), category, prompt, system (optional, a system prompt),\n"
        "grader, and the grader's arguments (on the line, or in \"grader\": {\"grader\": NAME, "
        "...}):\n"
        "  number        answer (a number), tolerance (absolute, default 1e-6)\n"
        "  exact         answer (a string, or an array of accepted ones), case_sensitive\n"
        "  regex         pattern (POSIX extended, ^ and $ at line ends), case_sensitive\n"
        "  contains-all  terms (an array of strings), case_sensitive\n"
        "  contains-any  terms (an array of strings), case_sensitive\n"
        "  keywords      terms (strings, or arrays of alternatives), min (the fraction that\n"
        "                passes, default 0.5), case_sensitive\n"
        "  code          tests (Python; each top-level assert is a test), language (\"python\"),\n"
        "                timeout_s (default 10), memory_mb (default 1024)\n"
        "Comparisons ignore ASCII case unless case_sensitive is true. <think>...</think> is\n"
        "removed from answers first; a <think> never closed grades 'incomplete'.\n",
        fp);
}
