/* Flag values as llama-bench reads them: comma lists whose items may be ranges
 * "a-b" (step 1), "a-b+s" (step s) or "a-b*m" (multiply by m). Lists may repeat,
 * appending. Parsing only: errors fill err, nothing is printed. */
#ifndef QB_ARGS_H
#define QB_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "field.h" /* flag_kv_type, flag_override_spec */

struct int_list {
    int *v;
    size_t n;
    size_t cap; /* allocated entries */
};

#define INT_LIST_MAX 100000 /* values one flag may expand to, in all */

struct str_list {
    char **v;
    size_t n;
};

/* Append the values of spec to l; each must lie in [min,max]. 0 ok, -1 with err. */
int int_list_parse(struct int_list *l, const char *flag, const char *spec, int min, int max,
                   char *err);
void int_list_push(struct int_list *l, int v);
void int_list_release(struct int_list *l);
/* Split on sep (',' usually) and append each non-empty item. */
void str_list_split(struct str_list *l, const char *spec, char sep);
void str_list_add(struct str_list *l, const char *s);
/* str_list_split on ',' for flag, counted first: -1 with err past INT_LIST_MAX values */
int str_list_parse(struct str_list *l, const char *flag, const char *spec, char *err);
void str_list_release(struct str_list *l);

/* The grid a command runs is the product of its lists; past GRID_MAX it would not finish
 * in a lifetime and its descriptions alone would fill the memory, so it is refused before
 * it is built. One factor: a flag (or a group of flags) and its number of values. */
#define GRID_MAX 100000
struct grid_dim {
    const char *flag; /* "-p", "-p/-n/-pg", ... */
    uint64_t n;       /* values; 0 (not given: its default) counts as 1 */
};
/* 0 when the product of the n_dims sizes is at most GRID_MAX; otherwise -1 with err naming
 * the factors, the product and the cap: "the grid -p/-n/-pg 100001 x -b 100000 has
 * 10000100000 tests, more than the cap of 100000" (what: "tests") */
int grid_check(const struct grid_dim *dims, size_t n_dims, const char *what, char *err);

/* -ngl against a model's layer count: values past n_layer + 1 (the output layer) are a
 * mistake, except 99 and above, the usual way to write "all" (llama.cpp's READMEs) */
#define NGL_ALL_SPELLING 99
bool ngl_too_many(int ngl, long long n_layer);

#endif
