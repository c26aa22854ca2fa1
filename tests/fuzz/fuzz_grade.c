/* libFuzzer target: prompt set files (their lines and graders) and the text graders on
 * answers: the input is a set file; each item's grader (but code, which would run
 * python3) grades the input itself as an answer, and a fixed list of graders does too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/grade/grade.h"
#include "../../src/grade/set.h"
#include "../../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fixed[] = {
    "{\"grader\": \"number\", \"answer\": 345}",
    "{\"grader\": \"exact\", \"answer\": [\"Alice\", \"Bob\"]}",
    "{\"grader\": \"regex\", \"pattern\": \"^a(b|c)+$\"}",
    "{\"grader\": \"contains-all\", \"terms\": [\"a\", \"b\"]}",
    "{\"grader\": \"contains-any\", \"terms\": [\"a\", \"b\"]}",
    "{\"grader\": \"keywords\", \"terms\": [\"a\", [\"b\", \"c\"]], \"min\": 0.5}",
    "{\"grader\": \"code\", \"tests\": \"assert 0\", \"timeout_s\": 0.001}",
};

static void grade_one(const cJSON *spec, const char *answer)
{
    const cJSON *g = cJSON_GetObjectItem(spec, "grader");
    struct grade_result r;
    char err[QB_ERR_LEN];
    /* the code grader: only up to its block search (no python3 for it to find) */
    if (cJSON_IsString(g) && strcmp(g->valuestring, "code") == 0)
        setenv("QB_PYTHON", "/nonexistent/python3", 1);
    if (grade_answer(spec, answer, &r, err) == 0 && !memchr(r.detail, '\0', sizeof(r.detail)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    char *text = xstrndup((const char *)data, size);
    struct prompt_set s;
    if (prompt_set_parse((const char *)data, size, "fuzz.jsonl", &s, err) == 0)
        for (int i = 0; i < s.n; i++)
            grade_one(s.items[i].grader, text);
    prompt_set_release(&s);
    for (size_t i = 0; i < QB_ARRAY_LEN(fixed); i++) {
        cJSON *spec = cJSON_Parse(fixed[i]);
        grade_one(spec, text);
        cJSON_Delete(spec);
    }
    bool unclosed;
    free(grade_strip_think(text, &unclosed));
    free(text);
    return 0;
}
