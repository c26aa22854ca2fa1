/* Results database link of the measuring commands (see dbrun.h). */
#include "dbrun.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../util/exit.h"
#include "../util/log.h"
#include "../util/sig.h"
#include "../util/util.h"
#include "store.h"

const char dbrun_help[] =
    "Results database:\n"
    "  --db PATH       store every result row in this SQLite file (default $QB_DB, else\n"
    "                  ./quantbench.db); one transaction per row\n"
    "  --label NAME    tag this run (e.g. main, pr-287) for compare and report\n"
    "  --no-db         do not store (also QB_DB=none)\n"
    "  QB_DB_BUSY_MS   how long a row waits for another writer's lock and retries a\n"
    "                  failed write, in ms [30000]; a row still not stored stops the run\n";

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
    bool stopped; /* a row could not be stored: the run was ended as failed */
} db;

/* Open (or create) the database; -1 with err and the exit code for it in *code */
static int open_store(int *code, char *err)
{
    if (db.st)
        return 0;
    enum store_fail why;
    db.st = store_open_as(db.path, 0, STORE_WRITE, &why, err);
    *code = why == STORE_FAIL_REFUSED ? QB_EXIT_INPUT : QB_EXIT_FAIL;
    if (db.st && store_journal_note(db.st))
        log_warn("database '%s' %s", store_path(db.st), store_journal_note(db.st));
    return db.st ? 0 : -1;
}

int dbrun_setup(const char *command, int *argc, char **argv)
{
    const char *env = getenv("QB_DB");
    const char *path = env && env[0] ? env : "quantbench.db";
    bool off = env && strcmp(env, "none") == 0, read_only = false;
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
            /* "--db --no-db" is a forgotten value, not a database named --no-db */
            if (i + 1 >= *argc || argv[i + 1][0] == 0 || strncmp(argv[i + 1], "--", 2) == 0)
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
        /* --help runs nothing: it works whatever state the database is in */
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            off = true;
        /* run --dry-run only reads the database (the command opens it read-only) */
        if (strcmp(a, "--dry-run") == 0)
            read_only = true;
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
    if (read_only)
        return 0;
    /* an existing file is checked, a new one must be possible, before any work */
    struct stat sb;
    char err[QB_ERR_LEN];
    int code = QB_EXIT_FAIL;
    if (stat(db.path, &sb) == 0 ? open_store(&code, err) < 0 : store_writable(db.path, err) < 0) {
        error("%s", err);
        return code;
    }
    return 0;
}

/* A row could not be stored: say so, end the run as failed with the reason (waiting
 * longer for the lock than a row does: the run must not stay 'ok' or 'running') */
static void stop(const char *kind, const char *err)
{
    char reason[QB_ERR_LEN + 64];
    snprintf(reason, sizeof(reason), "a %s row could not be stored: %s", kind, err);
    error("%s; stopping", reason);
    db.stopped = true;
    if (!db.st)
        return;
    char e2[QB_ERR_LEN];
    store_set_busy_ms(db.st, store_busy_ms() + 5000);
    int rc = 0;
    if (db.run_id == 0)
        rc = store_run_begin(db.st, db.command, db.argv_json, db.label, NULL, &db.run_id, e2);
    if (rc == 0)
        rc = store_run_end_why(db.st, db.run_id, "failed", reason, e2);
    if (rc < 0)
        error("the run could not be marked failed either: %s", e2);
}

void dbrun_row(const char *kind, const cJSON *row)
{
    if (!db.on || db.stopped)
        return;
    char err[QB_ERR_LEN];
    int code;
    int rc = open_store(&code, err);
    if (rc == 0 && db.run_id == 0)
        rc = store_run_begin(db.st, db.command, db.argv_json, db.label, NULL, &db.run_id, err);
    if (rc == 0)
        rc = store_add_result(db.st, db.run_id, kind, row, 0, err);
    if (rc < 0) {
        stop(kind, err);
        return;
    }
    db.n_rows++;
}

int dbrun_begin(struct store **st, int64_t *run_id, int *exit_code, char *err)
{
    *st = NULL;
    *run_id = 0;
    if (!db.on)
        return 0;
    int rc = open_store(exit_code, err);
    if (rc == 0 && db.run_id == 0) {
        *exit_code = QB_EXIT_FAIL;
        rc = store_run_begin(db.st, db.command, db.argv_json, db.label, NULL, &db.run_id, err);
    }
    if (rc < 0)
        return -1;
    *st = db.st;
    *run_id = db.run_id;
    return 0;
}

const char *dbrun_path(void)
{
    return db.on ? db.path : NULL;
}

bool dbrun_stopped(void)
{
    return db.stopped;
}

bool dbrun_stopped_cb(void *ud)
{
    (void)ud;
    return dbrun_stopped();
}

bool dbrun_should_stop(void)
{
    return db.stopped || sig_caught();
}

int dbrun_finish(int rc)
{
    if (db.st && db.run_id && !db.stopped) {
        const char *status = rc == QB_EXIT_OK                                ? "ok"
                             : rc == QB_EXIT_PARTIAL                         ? "partial"
                             : rc == QB_EXIT_SIGINT || rc == QB_EXIT_SIGTERM ? "interrupted"
                                                                             : "failed";
        char err[QB_ERR_LEN];
        if (store_run_end(db.st, db.run_id, status, err) < 0) {
            error("the end of the run could not be stored: %s", err);
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
    if ((db.stopped || db.n_failed > 0) && (rc == QB_EXIT_OK || rc == QB_EXIT_PARTIAL))
        return QB_EXIT_FAIL;
    if (db.stopped && (rc == QB_EXIT_SIGINT || rc == QB_EXIT_SIGTERM))
        return QB_EXIT_FAIL; /* the run is 'failed': a row could not be stored */
    return rc;
}

struct store *dbrun_open_existing(const char *path, int *exit_code, char *err)
{
    *exit_code = QB_EXIT_INPUT;
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
    enum store_fail why = STORE_FAIL_REFUSED;
    struct store *st = store_open_as(path, 0, STORE_READ, &why, err);
    /* a full /tmp, an unreadable file, another writer keeping it changing: not bad input */
    if (!st && (why == STORE_FAIL_IO || why == STORE_FAIL_BUSY))
        *exit_code = QB_EXIT_FAIL;
    return st;
}

/* "run, label, ..., or a setting: n_prompt/p n_gen/n ..." from the settings table */
static void filter_keys(char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "run, label, kind, model, quant, build or a setting:");
    for (const struct store_setting *e = store_settings(); e->field && k < n; e++) {
        k += (size_t)snprintf(buf + k, n - k, " %s", e->field);
        if (e->flag && k < n)
            k += (size_t)snprintf(buf + k, n - k, "/%s", e->flag);
        if (e->name && strcmp(e->name, e->field) != 0 && k < n)
            k += (size_t)snprintf(buf + k, n - k, "/%s", e->name);
    }
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
    char keys[800];
    for (char *kv = spec, *next; kv; kv = next) {
        next = strchr(kv, ',');
        if (next)
            *next++ = 0;
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv || !eq[1]) {
            filter_keys(keys, sizeof(keys));
            return set_err(err, "bad filter '%s' (KEY=VALUE with KEY %s)", kv, keys);
        }
        *eq = 0;
        const char *v = eq + 1, *field = NULL;
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
        } else if ((field = store_setting_field(kv)) != NULL) {
            if (f->n_set == STORE_FILTER_MAX_SETTINGS)
                return set_err(err, "more than %d settings in one filter",
                               STORE_FILTER_MAX_SETTINGS);
            f->set[f->n_set].field = field;
            f->set[f->n_set++].value = v;
        } else {
            filter_keys(keys, sizeof(keys));
            return set_err(err, "unknown filter key '%s' (%s)", kv, keys);
        }
    }
    return 0;
}
