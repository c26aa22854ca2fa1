/* Finding the final answer in a model's text: the markers that announce it (\boxed{},
 * ####, Answer:, "the answer is"), and numbers as evaluation harnesses read them (GSM8K's
 * "####", thousands separators and currency signs dropped, a trailing period ignored). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade_int.h"

static bool is_alnum(char c)
{
    return isalnum((unsigned char)c) != 0;
}

static bool is_digit(const char *p, const char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

static bool starts_ci(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && strncasecmp(p, word, n) == 0;
}

static bool starts(const char *p, const char *end, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

static const char *line_end(const char *p)
{
    const char *e = strchr(p, '\n');
    return e ? e : p + strlen(p);
}

/* the content of the braces opened just before p, balanced; the text's end when unclosed */
static const char *brace_end(const char *p)
{
    int depth = 1;
    for (; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '{')
            depth++;
        else if (*p == '}' && --depth == 0)
            return p;
    }
    return p;
}

/* the rest of the line after a marker; when only decoration is left on it ("Answer:**"),
 * the next line that has something */
static void rest_of_line(const char *p, const char **start, const char **end)
{
    const char *e = line_end(p);
    const char *q = p;
    while (q < e && strchr(" \t\r*_:`", *q))
        q++;
    if (q == e && *e == '\n') {
        const char *n = e + 1;
        while (*n == '\n' || *n == '\r' || *n == ' ' || *n == '\t')
            n++;
        p = n;
        e = line_end(n);
    }
    *start = p;
    *end = e;
}

int grade_find_markers(const char *text, struct grade_marker *m, int max)
{
    int n = 0;
    const char *end = text + strlen(text);
    for (const char *p = text; *p && n < max; p++) {
        const char *after = NULL, *name = NULL;
        if (starts(p, end, "\\boxed{") || starts(p, end, "\\fbox{")) {
            after = strchr(p, '{') + 1;
            m[n] = (struct grade_marker){"\\boxed{}", p, after, brace_end(after)};
            p = m[n].end > p ? m[n].end - 1 : p;
            n++;
            continue;
        }
        if (starts(p, end, "####")) {
            name = "####";
            after = p + 4;
            while (*after == '#')
                after++;
        } else if ((p == text || !is_alnum(p[-1])) && starts_ci(p, end, "answer")) {
            const char *q = p + 6;
            while (*q == '*' || *q == '_') /* "**Answer**:" */
                q++;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q == ':') {
                name = "Answer:";
                after = q + 1;
            } else if (starts_ci(q, end, "is") && !is_alnum(q[2])) {
                name = "answer is";
                after = q + 2;
                while (*after == ' ' || *after == ':')
                    after++;
            }
        }
        if (!name)
            continue;
        m[n].name = name;
        m[n].pos = p;
        rest_of_line(after, &m[n].start, &m[n].end);
        n++;
        p = after - 1;
    }
    return n;
}

/* digits with thousands separators at p: appends the digits to buf; the end, or p if none */
static const char *int_part(const char *p, const char *end, char *buf, size_t *len, size_t cap)
{
    const char *q = p;
    while (is_digit(q, end) && *len + 1 < cap)
        buf[(*len)++] = *q++;
    if (q == p)
        return p;
    if (q - p > 3)
        return q;
    for (;;) {
        const char *g = NULL;
        if (q < end && *q == ',')
            g = q + 1;
        else if (starts(q, end, "{,}"))
            g = q + 3;
        if (!g || !is_digit(g, end) || !is_digit(g + 1, end) || !is_digit(g + 2, end) ||
            is_digit(g + 3, end) || *len + 4 >= cap)
            return q;
        memcpy(buf + *len, g, 3);
        *len += 3;
        q = g + 3;
    }
}

/* an unsigned decimal at p: "1,234.5", ".5"; the end, or p if none */
static const char *decimal(const char *p, const char *end, double *v)
{
    char buf[128];
    size_t len = 0;
    const char *q = int_part(p, end, buf, &len, sizeof(buf) - 2);
    if (q < end && *q == '.' && is_digit(q + 1, end)) {
        buf[len++] = '.';
        for (q++; is_digit(q, end) && len + 1 < sizeof(buf); q++)
            buf[len++] = *q;
    }
    if (len == 0)
        return p;
    buf[len] = '\0';
    *v = strtod(buf, NULL);
    return q;
}

bool grade_number_at(const char *p, const char *end, double *v, const char **next)
{
    const char *q = p;
    bool neg = false, sign = false, cur = false;
    for (int pass = 0; pass < 2; pass++) {
        if (!sign && q < end && (*q == '-' || *q == '+')) {
            neg = *q == '-';
            sign = true;
            q++;
        } else if (!sign && starts(q, end, "\xe2\x88\x92")) { /* U+2212 minus */
            neg = sign = true;
            q += 3;
        }
        if (!cur) {
            static const char *const signs[] = {"\\$", "$", "\xe2\x82\xac", "\xc2\xa3", "\xc2\xa5"};
            for (size_t i = 0; i < QB_ARRAY_LEN(signs); i++)
                if (starts(q, end, signs[i])) {
                    q += strlen(signs[i]);
                    cur = true;
                    break;
                }
        }
    }
    double a, b;
    const char *e;
    if (starts(q, end, "\\frac{") || starts(q, end, "\\dfrac{") || starts(q, end, "\\tfrac{")) {
        const char *o = strchr(q, '{') + 1;
        e = decimal(o, end, &a);
        if (e == o || e >= end || *e != '}' || e + 1 >= end || e[1] != '{')
            return false;
        o = e + 2;
        e = decimal(o, end, &b);
        if (e == o || e >= end || *e != '}' || b == 0)
            return false;
        a /= b;
        e++;
    } else {
        e = decimal(q, end, &a);
        if (e == q)
            return false;
        /* a/b of whole numbers, not a date (1/2/2024) */
        if (e < end && *e == '/' && is_digit(e + 1, end) &&
            memchr(q, '.', (size_t)(e - q)) == NULL) {
            const char *f = decimal(e + 1, end, &b);
            if (b != 0 && !(f < end && *f == '/') &&
                memchr(e + 1, '.', (size_t)(f - e - 1)) == NULL) {
                a /= b;
                e = f;
            }
        }
    }
    if (e < end && *e == '%')
        e++;
    else if (starts(e, end, "\\%"))
        e += 2;
    *v = neg ? -a : a;
    *next = e;
    return true;
}

/* may a number start at p: a digit (or '.' digit) not inside another number, a sign or a
 * currency sign before one; a '-' after a letter or digit is a hyphen ("10-12") */
static bool number_starts(const char *text, const char *p)
{
    char prev = p > text ? p[-1] : ' ';
    if (*p >= '0' && *p <= '9')
        return !(prev >= '0' && prev <= '9') && prev != '.' && prev != ',';
    if (*p == '.')
        return p[1] >= '0' && p[1] <= '9' && !(prev >= '0' && prev <= '9');
    if (*p == '-' || *p == '+')
        return !is_alnum(prev);
    return *p == '$' || *p == '\\' || (unsigned char)*p >= 0xc2;
}

bool grade_last_number(const char *start, const char *end, double *v)
{
    bool found = false;
    for (const char *p = start; p < end;) {
        const char *next;
        double x;
        if (number_starts(start, p) && grade_number_at(p, end, &x, &next)) {
            *v = x;
            found = true;
            p = next;
        } else {
            p++;
        }
    }
    return found;
}

bool grade_region_number(const char *start, const char *end, double *v)
{
    for (const char *p = end; p > start; p--)
        if (p[-1] == '=') {
            start = p;
            break;
        }
    const char *p = start;
    for (;;) {
        while (p < end && strchr(" \t\r*_`:{(", *p))
            p++;
        if (starts(p, end, "\\(") || starts(p, end, "\\["))
            p += 2;
        else if (p + 1 < end && *p == '$' && !(p[1] >= '0' && p[1] <= '9') && p[1] != '-')
            p++; /* LaTeX math, "$345$"; "$29" is a currency sign */
        else if (starts(p, end, "\\text{") || starts(p, end, "\\mathbf{"))
            p = strchr(p, '{') + 1;
        else
            break;
    }
    const char *next;
    if (p < end && grade_number_at(p, end, v, &next))
        return true;
    return grade_last_number(start, end, v);
}

void grade_detail(struct grade_result *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(out->detail)) {
        size_t k = sizeof(out->detail) - 1;
        /* back off a UTF-8 sequence the cut split */
        while (k > 0 && ((unsigned char)out->detail[k] & 0xc0) == 0x80)
            k--;
        out->detail[k] = '\0';
    }
}

const char *grade_excerpt(const char *s, size_t n, size_t max, char *buf, size_t bufn)
{
    size_t k = 0;
    bool cut = false;
    if (bufn < 8)
        max = 0;
    else if (max > bufn - 4)
        max = bufn - 4;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
        cut = true;
    }
    for (size_t i = 0; i < n; i++)
        buf[k++] = s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ? ' ' : s[i];
    if (cut) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}
