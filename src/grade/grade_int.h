/* What the grader files share inside src/grade/: the answer markers, the number
 * reader, the code grader and text helpers. Not for other layers (grade.h is). */
#ifndef QB_GRADE_INT_H
#define QB_GRADE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/util.h"
#include "grade.h"

/* Where an answer says "this is the answer": \boxed{...}, ####, Answer:, "the answer is" */
struct grade_marker {
    const char *name;        /* "\\boxed{}", "####", "Answer:", "answer is" (static) */
    const char *pos;         /* where the marker starts in the text */
    const char *start, *end; /* what it marks: the braces' content, or the rest of its line */
};

/* The markers of text in the order they appear, at most max (the first max); returns the
 * count. m[i] point into text. */
int grade_find_markers(const char *text, struct grade_marker *m, int max);

/* A number at p (before end): a sign (-, +, U+2212), a currency sign ($, \$, €, £, ¥),
 * digits with ',' or LaTeX '{,}' thousands separators (groups of three), a decimal part,
 * a fraction a/b or \frac{a}{b}, a trailing % (kept as is). A period not followed by a
 * digit is not part of it. true with *v and *next (just past it), false if none is at p. */
bool grade_number_at(const char *p, const char *end, double *v, const char **next);

/* The number a region states: after its last '=', the one it starts with (past spaces and
 * markdown or LaTeX decoration) or else its last one. true with *v, false if none */
bool grade_region_number(const char *start, const char *end, double *v);

/* The last number of s..end; true with *v */
bool grade_last_number(const char *start, const char *end, double *v);

/* out->detail from a format, cut at a UTF-8 character boundary when too long */
void grade_detail(struct grade_result *out, const char *fmt, ...) QB_FMT(2, 3);

/* s[0..n) as a short quotable excerpt in buf: line breaks as spaces, cut at a UTF-8
 * boundary with "..." past max bytes; returns buf */
const char *grade_excerpt(const char *s, size_t n, size_t max, char *buf, size_t bufn);

/* The code grader: its arguments' check and the grading (grade/code.c) */
int grade_code_check(const cJSON *spec, char *err);
void grade_code(const cJSON *spec, const char *text, struct grade_result *out);

#endif
