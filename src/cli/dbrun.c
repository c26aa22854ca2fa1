/* Results database link of the measuring commands (see dbrun.h). */
#include "dbrun.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../store/store.h"
#include "../util/log.h"
#include "../util/util.h"
#include "cmd.h"

const char dbrun_help[] =
    "Results database:\n"
    "  --db PATH       store every result row in this SQLite file (default $QB_DB, else\n"
    "                  ./quantbench.db); one transaction per row\n"
    "  --label NAME    tag this run (e.g. main, pr-287) for compare and report\n"
    "  --no-db         do not store (also QB_DB=none)\n";

static struct {
    bool on;
    char path[1024];
    char *label;
    char *command;
    char *argv_json;
    struct store *st;
    int64_t run_id;
    int n_rows;
    int n_failed;
} db;

static int open_store(char *err)
{
    if (db.st)
        return 0;
    db.st = store_open(db.path, 0, err);
    return db.st ? 0 : -1;
}

int dbrun_setup(const char *command, int *argc, char **argv)
{
    const char *env = getenv("QB_DB");
    const char *path = env && env[0] ? env : "quantbench.db";
    bool off = env && strcmp(env, "none") == 0;
    const char *label = NULL;
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        if (strcmp(a, "--db") == 0 || strcmp(a, "--label") == 0) {
            if (i + 1 >= *argc || argv[i + 1][0] == 0)
                return usage_error(command, "'%s' needs a value", a);
            if (a[2] == 'd')
                path = argv[++i];
            else
                label = argv[++i];
            continue;
        }
        if (strcmp(a, "--no-db") == 0) {
            off = true;
            continue;
        }
        argv[out++] = argv[i];
    }
    argv[out] = NULL;
    *argc = out;
    db.on = !off;
    if (!db.on)
        return 0;
    snprintf(db.path, sizeof(db.path), "%s", path);
    db.label = label ? xstrdup(label) : NULL;
    db.command = xstrdup(command);
    cJSON *av = cJSON_CreateArray();
    cJSON_AddItemToArray(av, cJSON_CreateString(command));
    for (int i = 1; i < *argc; i++)
        cJSON_AddItemToArray(av, cJSON_CreateString(argv[i]));
    if (label) {
        cJSON_AddItemToArray(av, cJSON_CreateString("--label"));
        cJSON_AddItemToArray(av, cJSON_CreateString(label));
    }
    db.argv_json = cJSON_PrintUnformatted(av);
    cJSON_Delete(av);
    struct stat sb;
    char err[QB_ERR_LEN];
    if (stat(db.path, &sb) == 0 && open_store(err) < 0) {
        error("%s", err);
        return QB_EXIT_INPUT;
    }
    return 0;
}

void dbrun_row(const char *kind, const cJSON *row)
{
    if (!db.on)
        return;
    char err[QB_ERR_LEN];
    int rc = open_store(err);
    if (rc == 0 && db.run_id == 0)
        rc = store_run_begin(db.st, db.command, db.argv_json, db.label, NULL, &db.run_id, err);
    if (rc == 0)
        rc = store_add_result(db.st, db.run_id, kind, row, 0, err);
    if (rc < 0) {
        if (db.n_failed == 0)
            log_error("results are not being stored: %s", err);
        db.n_failed++;
        return;
    }
    db.n_rows++;
}

int dbrun_finish(int rc)
{
    if (db.st && db.run_id) {
        const char *status = rc == QB_EXIT_OK                                ? "ok"
                             : rc == QB_EXIT_PARTIAL                         ? "partial"
                             : rc == QB_EXIT_SIGINT || rc == QB_EXIT_SIGTERM ? "interrupted"
                                                                             : "failed";
        char err[QB_ERR_LEN];
        if (store_run_end(db.st, db.run_id, status, err) < 0) {
            log_error("%s", err);
            db.n_failed++;
        } else {
            log_info("stored %d row%s as run %lld in '%s'", db.n_rows, db.n_rows == 1 ? "" : "s",
                     (long long)db.run_id, db.path);
        }
    }
    store_close(db.st);
    db.st = NULL;
    free(db.label);
    free(db.command);
    free(db.argv_json);
    if (db.n_failed > 0 && rc == QB_EXIT_OK)
        return QB_EXIT_FAIL;
    return rc;
}

struct store *dbrun_open_existing(const char *path, char *err)
{
    const char *env = getenv("QB_DB");
    if (!path)
        path = env && env[0] && strcmp(env, "none") != 0 ? env : "quantbench.db";
    struct stat sb;
    if (stat(path, &sb) != 0) {
        set_err(err,
                "no results database at '%s' (run a measuring command first, or give "
                "--db PATH)",
                path);
        return NULL;
    }
    return store_open(path, 0, err);
}

int dbrun_parse_filter(char *spec, struct store_filter *f, char *err)
{
    if (spec[0] && strspn(spec, "0123456789") == strlen(spec)) {
        int64_t id;
        if (parse_i64(spec, 1, INT64_MAX, &id) < 0)
            return set_err(err, "bad run id '%s'", spec);
        f->run_id = id;
        return 0;
    }
    if (!strchr(spec, '=')) {
        f->label = spec;
        return 0;
    }
    for (char *kv = spec, *next; kv; kv = next) {
        next = strchr(kv, ',');
        if (next)
            *next++ = 0;
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv || !eq[1])
            return set_err(err,
                           "bad filter '%s' (KEY=VALUE with run, label, kind, model, "
                           "quant or build)",
                           kv);
        *eq = 0;
        const char *v = eq + 1;
        if (strcmp(kv, "run") == 0) {
            int64_t id;
            if (parse_i64(v, 1, INT64_MAX, &id) < 0)
                return set_err(err, "bad run id '%s'", v);
            f->run_id = id;
        } else if (strcmp(kv, "label") == 0) {
            f->label = v;
        } else if (strcmp(kv, "kind") == 0) {
            f->kind = v;
        } else if (strcmp(kv, "model") == 0) {
            f->model = v;
        } else if (strcmp(kv, "quant") == 0) {
            f->quant = v;
        } else if (strcmp(kv, "build") == 0) {
            f->build = v;
        } else {
            return set_err(err, "unknown filter key '%s' (run, label, kind, model, quant, build)",
                           kv);
        }
    }
    return 0;
}
