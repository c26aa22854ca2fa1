/* Prompt sets: the built-in five (an explanation, arithmetic, a word problem, a coding
 * task, a logic puzzle) and JSONL files of the user's, one prompt a line with its grader.
 * Loading checks every line and every grader; nothing here prints but prompt_set_list. */
#ifndef QB_SET_H
#define QB_SET_H

#include <cjson/cJSON.h>
#include <stdio.h>

struct prompt_item {
    char *id, *category, *prompt;
    char *system; /* optional system prompt of the item, or NULL */
    cJSON *
        grader; /* {"grader": "number", "answer": 345, ...}: the grader and its arguments (owned) */
};

struct prompt_set {
    char *name; /* "builtin" or the file's name */
    struct prompt_item *items;
    int n;
};

/* The set named name: "builtin" (or NULL), or a JSONL file. A line holds "id" (unique),
 * "category", "prompt", optionally "system", and "grader": a grader's name with its
 * arguments as the line's other fields, or a whole grader object (grade/grade.h). Blank
 * lines are skipped. 0, or the exit code (QB_EXIT_INPUT: a file missing/unreadable, a line
 * that is not JSON or lacks a field: "FILE:LINE: ..."; QB_EXIT_USAGE: an unknown grader or
 * bad grader arguments) with err. s is the caller's to release (also after a failure). */
int prompt_set_load(const char *name, struct prompt_set *s, char *err);
void prompt_set_release(struct prompt_set *s);
/* The same from text[0..len) (a file's content; fname names it in errors and is the
 * set's name) */
int prompt_set_parse(const char *text, size_t len, const char *fname, struct prompt_set *s,
                     char *err);

/* The item of s with id, or NULL (borrowed) */
const struct prompt_item *prompt_set_find(const struct prompt_set *s, const char *id);

/* --set list: the built-in set's items and how to write a set file, to fp */
void prompt_set_list(FILE *fp);

#endif
