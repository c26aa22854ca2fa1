/* quantbench import FILE...: other tools' result files become stored runs (one per
 * file, marked imported with the file's path and each row's line), so they can be
 * compared and reported with ours. Every file is parsed before anything is stored: a
 * malformed file stores nothing. Each file is then stored in a transaction of its own,
 * whole or not at all, retried whole while the failure may pass. A file whose bytes were imported
 * before (SHA-256) is skipped unless --force. */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/import.h"
#include "../store/store.h"
#include "../util/log.h"
#include "../util/sha256.h"
#include "cmd.h"

static const char import_help[] =
    "usage: quantbench import FILE... [--db PATH] [--label NAME] [--force]\n"
    "\n"
    "Stores results written by llama.cpp's tools: llama-bench (-o json, jsonl, csv, sql or\n"
    "md), llama-batched-bench (its table, or --output-format jsonl) and sweep-bench (its\n"
    "table or jsonl); and quantbench's own bench -o sql (each row once), ctxmax -o json and\n"
    "mem -o json (rows of kind ctxmax and mem). The format is recognised from the content\n"
    "(a UTF-8 byte order mark is fine). Each file becomes one run (command 'import', the\n"
    "file's path kept) whose rows keep every value the file has and their line in it. All\n"
    "files are read and checked first: one bad file stores nothing. Then each is stored in\n"
    "a transaction of its own, whole or not at all (retried while another writer's lock, a\n"
    "full disk or an I/O error is in the way, for $QB_DB_BUSY_MS ms); a file that cannot\n"
    "be stored stops the import, the files before it stay imported. A number out of range (not "
    "finite; an integer field not a whole number of at\n"
    "most 2^53) makes the file bad. A file with the same bytes as one imported before\n"
    "(SHA-256) is skipped, with a warning, unless --force.\n"
    "\n"
    "Flags:\n"
    "  --db PATH       the results database (default $QB_DB, else ./quantbench.db)\n"
    "  --label NAME    tag the runs (for compare and report)\n"
    "  --force         import a file again even when its content is already stored\n"
    "\n" QB_EXIT_CODES_HELP;

static void sha256_of(const char *text, size_t len, char hex[65])
{
    struct sha256 c;
    uint8_t d[32];
    sha256_init(&c);
    sha256_update(&c, text, len);
    sha256_final(&c, d);
    sha256_hex(d, hex);
}

/* A file whose rows could not be stored (its transaction rolled back): one line, exit 1 */
static int not_stored(const char **files, int f, const char *err)
{
    if (f > 0)
        return error("'%s' could not be stored: %s; the %d file%s before it %s imported, "
                     "nothing of it or after it",
                     files[f], err, f, f == 1 ? "" : "s", f == 1 ? "is" : "are");
    return error("'%s' could not be stored: %s", files[f], err);
}

/* Store one parsed file as a run inside the caller's transaction */
static int store_file(struct store *st, const char *path, const char *label, const char *sha,
                      const struct import_result *res, int64_t *run, char *err)
{
    cJSON *av = cJSON_CreateArray();
    cJSON_AddItemToArray(av, cJSON_CreateString("import"));
    cJSON_AddItemToArray(av, cJSON_CreateString(path));
    char *av_txt = cJSON_PrintUnformatted(av);
    cJSON_Delete(av);
    int rc = store_run_begin(st, "import", av_txt, label, path, run, err);
    free(av_txt);
    int k = 0;
    /* along the list: cJSON_GetArrayItem(k) would walk it from the start every time */
    for (const cJSON *row = res->rows->child; rc == 0 && row; row = row->next, k++)
        rc = store_add_result(st, *run, res->kind, row, res->lines[k], err);
    if (rc == 0)
        rc = store_run_end(st, *run, "ok", err);
    if (rc == 0)
        rc = store_note_import(st, sha, *run, err);
    return rc;
}

struct import_one {
    const char **files;
    char (*sha)[65];
    const struct import_result *res;
    int64_t *runs; /* per file: the run it became, minus the one it is when skipped */
    int f;         /* the file this transaction stores */
    const char *label;
    bool force;
};

/* The body of file f's transaction (run again from the start on a retry): skipped when
 * its bytes are stored already (looked up inside the transaction, so that two imports
 * of one file at once store it once), else stored as a run */
static int import_one(struct store *st, void *arg, char *err)
{
    struct import_one *a = arg;
    int f = a->f;
    a->runs[f] = 0;
    int64_t before = a->force ? 0 : store_find_import(st, a->sha[f]);
    if (before) {
        a->runs[f] = -before;
        return 0;
    }
    return store_file(st, a->files[f], a->label, a->sha[f], &a->res[f], &a->runs[f], err);
}

int cmd_import(int argc, char **argv)
{
    const char *db_path = NULL, *label = NULL;
    const char **files = xcalloc((size_t)argc + 1, sizeof(char *));
    bool force = false;
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
        } else if (strcmp(a, "--force") == 0) {
            force = true;
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
    char(*sha)[65] = xcalloc((size_t)n_files, sizeof(*sha));
    int64_t *runs = xcalloc((size_t)n_files, sizeof(int64_t));
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
        sha256_of(text, len, sha[parsed]);
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
    enum store_fail why;
    st = store_open_as(db_path, 0, STORE_WRITE, &why, err);
    if (!st) {
        ret = why == STORE_FAIL_REFUSED ? QB_EXIT_INPUT : QB_EXIT_FAIL;
        error("%s", err);
        goto out;
    }
    if (store_journal_note(st))
        log_warn("database '%s' %s", store_path(st), store_journal_note(st));
    /* one transaction a file, retried whole while a failure may pass (a lock, a full
     * disk): each file is stored whole or not at all, and no import holds the write
     * lock for longer than one file */
    for (int f = 0; f < n_files; f++) {
        struct import_one one = {files, sha, res, runs, f, label, force};
        if (store_tx(st, import_one, &one, err) < 0) {
            ret = not_stored(files, f, err);
            goto out;
        }
        if (runs[f] < 0) {
            log_warn("'%s' is already stored as run %lld (the same content): skipped; --force "
                     "imports it again",
                     files[f], (long long)-runs[f]);
            continue;
        }
        char *name = str_escape(files[f], 0); /* a path is outside text */
        printf("imported '%s': %s %s, %d row%s, run %lld\n", name, res[f].tool, res[f].format,
               res[f].n, res[f].n == 1 ? "" : "s", (long long)runs[f]);
        free(name);
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        ret = error("cannot write results to stdout");
out:
    for (int f = 0; f < parsed && f < n_files; f++)
        import_release(&res[f]);
    free(res);
    free(sha);
    free(runs);
    free(files);
    store_close(st);
    return ret;
}
