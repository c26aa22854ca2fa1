/* quantbench import FILE...: other tools' result files become stored runs (one per
 * file, marked imported with the file's path and each row's line), so they can be
 * compared and reported with ours. Every file is parsed before anything is stored: a
 * malformed file stores nothing. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../report/import.h"
#include "../store/store.h"
#include "cmd.h"

static const char import_help[] =
    "usage: quantbench import FILE... [--db PATH] [--label NAME]\n"
    "\n"
    "Stores results written by llama.cpp's tools: llama-bench (-o json, jsonl, csv, sql or\n"
    "md), llama-batched-bench (its table, or --output-format jsonl) and sweep-bench (its\n"
    "table or jsonl). The format is recognised from the content. Each file becomes one run\n"
    "(command 'import', the file's path kept) whose rows keep every value the file has and\n"
    "their line in it. All files are read and checked first; one bad file stores nothing.\n"
    "\n"
    "Flags:\n"
    "  --db PATH       the results database (default $QB_DB, else ./quantbench.db)\n"
    "  --label NAME    tag the runs (for compare and report)\n"
    "\n" QB_EXIT_CODES_HELP;

int cmd_import(int argc, char **argv)
{
    const char *db_path = NULL, *label = NULL;
    const char **files = xcalloc((size_t)argc + 1, sizeof(char *));
    int n_files = 0, ret = QB_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(import_help, stdout);
            free(files);
            return QB_EXIT_OK;
        }
        if (strcmp(a, "--db") == 0 || strcmp(a, "--label") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0]) {
                free(files);
                return usage_error("import", "'%s' needs a value", a);
            }
            *(a[2] == 'd' ? &db_path : &label) = argv[++i];
        } else if (a[0] == '-' && a[1] != 0) {
            free(files);
            return usage_error("import", "unknown flag '%s'", a);
        } else {
            files[n_files++] = a;
        }
    }
    if (n_files == 0) {
        free(files);
        return usage_error("import", "no FILE given");
    }
    struct import_result *res = xcalloc((size_t)n_files, sizeof(*res));
    char err[QB_ERR_LEN];
    struct store *st = NULL;
    int parsed = 0;
    for (; parsed < n_files; parsed++) {
        size_t len = 0;
        char *text = read_file(files[parsed], (uint64_t)1 << 30, &len, err);
        if (!text) {
            ret = QB_EXIT_INPUT;
            error("%s", err);
            goto out;
        }
        int line = 0;
        int rc = import_parse(text, len, &res[parsed], &line, err);
        free(text);
        if (rc < 0) {
            ret = QB_EXIT_INPUT;
            error("'%s' %s", files[parsed], err);
            parsed++; /* release it too */
            goto out;
        }
    }
    if (!db_path) {
        const char *env = getenv("QB_DB");
        db_path = env && env[0] && strcmp(env, "none") != 0 ? env : "quantbench.db";
    }
    st = store_open(db_path, 0, err);
    if (!st) {
        ret = QB_EXIT_INPUT;
        error("%s", err);
        goto out;
    }
    for (int f = 0; f < n_files; f++) {
        cJSON *av = cJSON_CreateArray();
        cJSON_AddItemToArray(av, cJSON_CreateString("import"));
        cJSON_AddItemToArray(av, cJSON_CreateString(files[f]));
        char *av_txt = cJSON_PrintUnformatted(av);
        cJSON_Delete(av);
        int64_t run = 0;
        int rc = store_run_begin(st, "import", av_txt, label, files[f], &run, err);
        free(av_txt);
        for (int k = 0; rc == 0 && k < res[f].n; k++)
            rc = store_add_result(st, run, res[f].kind, cJSON_GetArrayItem(res[f].rows, k),
                                  res[f].lines[k], err);
        if (rc == 0)
            rc = store_run_end(st, run, "ok", err);
        if (rc < 0) {
            ret = error("%s", err);
            goto out;
        }
        char *name = str_escape(files[f], 0); /* a path is outside text */
        printf("imported '%s': %s %s, %d row%s, run %lld\n", name,
               strcmp(res[f].kind, "bench") == 0     ? "llama-bench"
               : strcmp(res[f].kind, "batched") == 0 ? "llama-batched-bench"
                                                     : "sweep-bench",
               res[f].format, res[f].n, res[f].n == 1 ? "" : "s", (long long)run);
        free(name);
    }
out:
    for (int f = 0; f < parsed && f < n_files; f++)
        import_release(&res[f]);
    free(res);
    free(files);
    store_close(st);
    return ret;
}
