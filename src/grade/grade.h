/* Graders of a model's answers: number (the final answer's value), exact, regex,
 * contains-all, contains-any, keywords (coverage of expected terms) and code (the answer's
 * fenced Python block run with the item's tests in a confined child process). A grader is
 * a JSON object, {"grader": "number", "answer": 345, ...}; each has a version, stored with
 * its results, that changes when its rules do. Nothing here prints. Not thread-safe: the
 * code grader reads the environment and looks its interpreter up once per process. */
#ifndef QB_GRADE_H
#define QB_GRADE_H

#include <cjson/cJSON.h>
#include <stdbool.h>

enum grade_verdict { GRADE_PASS, GRADE_FAIL, GRADE_INCOMPLETE, GRADE_SKIPPED, GRADE_ERROR };

struct grade_result {
    enum grade_verdict verdict;
    double score;     /* 1 pass, 0 fail; keywords: the fraction of terms found */
    char grader[32];  /* "number" ... */
    int version;      /* the grader's version (bump when its rules change) */
    char detail[512]; /* what it found: "answer 345 (from 'Answer:')", "2/3 tests passed" ... */
};

/* Whether spec is a valid grader object: a known "grader" and its arguments (each known,
 * of the right type, a regex that compiles). 0, or -1 with err ("unknown grader 'x'
 * (number, ...)", "grader 'number': unknown argument 'answr'", ...). */
int grade_check_spec(const cJSON *spec, char *err);

/* Grade answer (the model's text, UTF-8) with spec (the item's grader object). 0, or -1
 * with err for a spec that is not valid (unknown grader, bad arguments): then out is not
 * filled. A <think> never closed grades incomplete whatever the grader. */
int grade_answer(const cJSON *spec, const char *answer, struct grade_result *out, char *err);

/* "pass", "fail", "incomplete", "skipped", "error" (static) */
const char *grade_verdict_name(enum grade_verdict v);

/* The answer's text with <think>...</think> blocks removed (the caller frees); *unclosed
 * set when a <think> is never closed (what follows it is dropped). A </think> with no
 * <think> before it ends reasoning that the chat template opened in the prompt: the text
 * up to it is dropped. */
char *grade_strip_think(const char *answer, bool *unclosed);

/* The grader names, "number, exact, regex, contains-all, contains-any, keywords, code"
 * (static) */
const char *grade_names(void);

#endif
