/* SQLite results store: schema and migrations, runs, result rows, queries. See
 * store.h. Nothing outside this file sees an SQLITE_* code. */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../util/sha256.h"
#include "../util/util.h"

#ifndef QB_VERSION
#define QB_VERSION "0.1.0"
#endif

struct store {
    sqlite3 *db;
    char path[512];
};

/* migrations[i] takes a database from version i to i + 1 */
static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE hosts(id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE, name TEXT,"
    " cpu_info TEXT, cpu_flags TEXT, cores INTEGER, ram_bytes INTEGER, os TEXT, gpu_info TEXT);"
    "CREATE TABLE builds(id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE,"
    " llama_version TEXT, llama_commit TEXT, llama_build_number INTEGER, backends TEXT,"
    " system_info TEXT, quantbench_version TEXT);"
    "CREATE TABLE models(id INTEGER PRIMARY KEY, quick_id TEXT NOT NULL UNIQUE, path TEXT,"
    " size_bytes INTEGER, model_type TEXT, n_params INTEGER);"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, label TEXT, command TEXT NOT NULL,"
    " argv TEXT NOT NULL, started TEXT NOT NULL, ended TEXT,"
    " status TEXT NOT NULL DEFAULT 'running', host_id INTEGER REFERENCES hosts(id),"
    " imported_from TEXT);"
    "CREATE TABLE results(id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES runs(id), kind TEXT NOT NULL, test TEXT,"
    " model_id INTEGER REFERENCES models(id), build_id INTEGER REFERENCES builds(id),"
    " host_id INTEGER REFERENCES hosts(id), status TEXT NOT NULL, reason TEXT,"
    " n_prompt INTEGER, n_gen INTEGER, n_depth INTEGER, n_batch INTEGER, n_ubatch INTEGER,"
    " n_threads INTEGER, n_gpu_layers INTEGER, type_k TEXT, type_v TEXT, flash_attn TEXT,"
    " n_parallel INTEGER, avg_ts REAL, stddev_ts REAL, n_samples INTEGER,"
    " settings TEXT NOT NULL, row TEXT NOT NULL, created TEXT NOT NULL);"
    "CREATE INDEX results_run ON results(run_id);"
    "CREATE INDEX results_test ON results(kind, test, n_prompt, n_gen, n_depth);"
    "CREATE INDEX runs_label ON runs(label);",
    /* 2: imported rows keep their source line; models get the file type by name */
    "ALTER TABLE results ADD COLUMN source_line INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE models ADD COLUMN file_type TEXT;",
};

static int db_err(struct store *s, char *err, const char *what)
{
    return set_err(err, "database '%s': %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int exec(struct store *s, const char *sql, char *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        set_err(err, "database '%s': %s", s->path, msg ? msg : "error");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* One integer from a statement without parameters; -1 with err */
static int pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* "file:PATH?mode=ro&immutable=1" with the path percent-encoded (the caller frees) */
static char *uri_of(const char *path)
{
    size_t n = strlen(path), cap = 3 * n + 32, len = 0;
    char *u = xmalloc(cap);
    len += (size_t)snprintf(u, cap, "file:");
    for (const char *p = path; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("/._-~", c))
            u[len++] = (char)c;
        else
            len += (size_t)snprintf(u + len, cap - len, "%%%02X", c);
    }
    snprintf(u + len, cap - len, "?mode=ro&immutable=1");
    return u;
}

/* Check an existing file read-only before anything may write to it */
static int check_existing(const char *path, char *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return set_err(err, "cannot open database '%s': %s", path, strerror(errno));
    char head[16];
    size_t n = fread(head, 1, sizeof(head), fp);
    fclose(fp);
    if (n == 0)
        return 0; /* an empty file is a new database */
    if (n < sizeof(head) || memcmp(head, "SQLite format 3", 16) != 0)
        return set_err(err, "'%s' is not a SQLite database (left untouched)", path);
    /* immutable: no locks, no -wal or -shm files made; the main file is checked alone */
    char *uri = uri_of(path);
    sqlite3 *db = NULL;
    int ret = -1;
    int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        set_err(err, "cannot open database '%s': %s", path, db ? sqlite3_errmsg(db) : "?");
        goto out;
    }
    int64_t app = 0, ver = 0, n_tab = 0;
    if (pragma_int(db, "PRAGMA application_id", &app) < 0 ||
        pragma_int(db, "PRAGMA user_version", &ver) < 0 ||
        pragma_int(db, "SELECT count(*) FROM sqlite_master", &n_tab) < 0) {
        set_err(err, "database '%s' is corrupt: %s (left untouched)", path, sqlite3_errmsg(db));
        goto out;
    }
    if (app != STORE_APPLICATION_ID && (app != 0 || n_tab > 0)) {
        set_err(err,
                "'%s' is not a quantbench database (an SQLite file of another "
                "application; left untouched)",
                path);
        goto out;
    }
    if (ver > STORE_SCHEMA_VERSION) {
        set_err(err,
                "database '%s' has schema version %lld, newer than this quantbench "
                "knows (%d); left untouched",
                path, (long long)ver, STORE_SCHEMA_VERSION);
        goto out;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        const char *why = st && sqlite3_column_text(st, 0)
                              ? (const char *)sqlite3_column_text(st, 0)
                              : sqlite3_errmsg(db);
        set_err(err, "database '%s' is corrupt: %s (left untouched)", path, why);
        sqlite3_finalize(st);
        goto out;
    }
    sqlite3_finalize(st);
    ret = 0;
out:
    sqlite3_close(db);
    return ret;
}

static int migrate(struct store *s, int target, char *err)
{
    int64_t ver = 0;
    if (pragma_int(s->db, "PRAGMA user_version", &ver) < 0)
        return db_err(s, err, "cannot read the schema version");
    if (ver >= target)
        return 0;
    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    for (int64_t v = ver; v < target; v++) {
        if (exec(s, migrations[v], err) < 0) {
            exec(s, "ROLLBACK", NULL);
            return -1;
        }
    }
    char sql[160];
    snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d;",
             STORE_APPLICATION_ID, target);
    if (exec(s, sql, err) < 0 ||
        exec(s, "INSERT OR REPLACE INTO meta VALUES('created_by', 'quantbench " QB_VERSION "')",
             err) < 0 ||
        exec(s, "COMMIT", err) < 0) {
        exec(s, "ROLLBACK", NULL);
        return -1;
    }
    return 0;
}

struct store *store_open(const char *path, int max_version, char *err)
{
    int target =
        max_version > 0 && max_version < STORE_SCHEMA_VERSION ? max_version : STORE_SCHEMA_VERSION;
    bool memory = strcmp(path, ":memory:") == 0;
    struct stat sb;
    if (!memory && stat(path, &sb) == 0) {
        if (!S_ISREG(sb.st_mode))
            return set_err(err, "database '%s' is not a regular file", path), NULL;
        if (check_existing(path, err) < 0)
            return NULL;
    }
    struct store *s = xcalloc(1, sizeof(*s));
    snprintf(s->path, sizeof(s->path), "%s", path);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        set_err(err, "cannot open database '%s': %s", path,
                s->db ? sqlite3_errmsg(s->db) : "out of memory");
        store_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 10000);
    if ((!memory && exec(s, "PRAGMA journal_mode = WAL", err) < 0) ||
        exec(s, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", err) < 0 ||
        migrate(s, target, err) < 0) {
        store_close(s);
        return NULL;
    }
    return s;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    sqlite3_close(s->db);
    free(s);
}

int store_version(struct store *s)
{
    int64_t v = 0;
    pragma_int(s->db, "PRAGMA user_version", &v);
    return (int)v;
}

/* ---------------------------------------------------------------- helpers */

static void now_rfc3339(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static bool jnum(const cJSON *o, const char *key, double *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNumber(it)) {
        *out = it->valuedouble;
        return true;
    }
    if (cJSON_IsBool(it)) {
        *out = cJSON_IsTrue(it);
        return true;
    }
    return false;
}

/* Bind a text that may be NULL */
static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Bind the first numeric field of the row among keys (NULL when none) */
static void bind_num(sqlite3_stmt *st, int i, const cJSON *row, const char *const *keys,
                     bool integer)
{
    double v;
    for (; *keys; keys++) {
        if (jnum(row, *keys, &v)) {
            if (integer)
                sqlite3_bind_int64(st, i, (sqlite3_int64)v);
            else
                sqlite3_bind_double(st, i, v);
            return;
        }
    }
    sqlite3_bind_null(st, i);
}

/* Text of a setting that may be a string, number or bool */
static void bind_setting(sqlite3_stmt *st, int i, const cJSON *row, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(row, key);
    if (cJSON_IsString(it))
        sqlite3_bind_text(st, i, it->valuestring, -1, SQLITE_TRANSIENT);
    else if (cJSON_IsBool(it))
        sqlite3_bind_text(st, i, cJSON_IsTrue(it) ? "1" : "0", -1, SQLITE_STATIC);
    else if (cJSON_IsNumber(it)) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%.0f", it->valuedouble);
        sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
    } else
        sqlite3_bind_null(st, i);
}

/* INSERT OR IGNORE a keyed row, then its id; sql_ins binds ?1 = key and the rest via fn */
static int upsert_id(struct store *s, const char *table, const char *key_col, const char *key,
                     const char *sql_ins, void (*bind)(sqlite3_stmt *, const void *),
                     const void *arg, int64_t *id, char *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql_ins, -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare an insert");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    bind(st, arg);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_err(s, err, "cannot insert");
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE %s = ?1", table, key_col);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare a lookup");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_err(s, err, "lookup failed");
}

/* First 16 hex digits of the SHA-256 of a text: identity of a host or build */
static void fingerprint(const char *text, char out[17])
{
    uint8_t h[32];
    struct sha256 c;
    sha256_init(&c);
    sha256_update(&c, text, strlen(text));
    sha256_final(&c, h);
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* ---------------------------------------------------------------- hosts */

struct host {
    char name[128];
    char cpu[256];
    char *flags; /* owned */
    int cores;
    uint64_t ram;
    char os[256];
    const char *gpu_info; /* borrowed */
};

static void host_read(struct host *h, const char *gpu_info)
{
    memset(h, 0, sizeof(*h));
    if (gethostname(h->name, sizeof(h->name)) < 0)
        snprintf(h->name, sizeof(h->name), "unknown");
    host_cpus_ram(&h->cores, &h->ram);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(h->os, sizeof(h->os), "%s %s %s", u.sysname, u.release, u.machine);
    h->gpu_info = gpu_info ? gpu_info : "";
    FILE *fp = fopen("/proc/cpuinfo", "r");
    if (!fp)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, fp) > 0 && (!h->cpu[0] || !h->flags)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        char *v = colon + 1 + (colon[1] == ' ');
        v[strcspn(v, "\n")] = 0;
        if (!h->cpu[0] && strncmp(line, "model name", 10) == 0)
            snprintf(h->cpu, sizeof(h->cpu), "%s", v);
        else if (!h->flags && (strncmp(line, "flags", 5) == 0 || strncmp(line, "Features", 8) == 0))
            h->flags = xstrdup(v);
    }
    free(line);
    fclose(fp);
}

static void host_bind(sqlite3_stmt *st, const void *arg)
{
    const struct host *h = arg;
    sqlite3_bind_text(st, 2, h->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, h->cpu, -1, SQLITE_TRANSIENT);
    bind_text(st, 4, h->flags);
    sqlite3_bind_int(st, 5, h->cores);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)h->ram);
    sqlite3_bind_text(st, 7, h->os, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, h->gpu_info, -1, SQLITE_TRANSIENT);
}

static int host_id(struct store *s, const char *gpu_info, int64_t *id, char *err)
{
    struct host h;
    host_read(&h, gpu_info);
    char *text = xasprintf("%s|%s|%s|%d|%llu|%s|%s", h.name, h.cpu, h.flags ? h.flags : "", h.cores,
                           (unsigned long long)h.ram, h.os, h.gpu_info);
    char fp[17];
    fingerprint(text, fp);
    free(text);
    int ret = upsert_id(s, "hosts", "fingerprint", fp,
                        "INSERT OR IGNORE INTO hosts(fingerprint, name, cpu_info, cpu_flags, "
                        "cores, ram_bytes, os, gpu_info) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
                        host_bind, &h, id, err);
    free(h.flags);
    return ret;
}

/* ---------------------------------------------------------------- runs */

int store_run_begin(struct store *s, const char *command, const char *argv_json, const char *label,
                    const char *imported_from, int64_t *run_id, char *err)
{
    int64_t hid = 0;
    if (host_id(s, NULL, &hid, err) < 0)
        return -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO runs(label, command, argv, started, host_id, "
                           "imported_from) VALUES(?1,?2,?3,?4,?5,?6)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the run");
    char now[32];
    now_rfc3339(now, sizeof(now));
    bind_text(st, 1, label);
    sqlite3_bind_text(st, 2, command, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, argv_json ? argv_json : "[]", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, hid);
    bind_text(st, 6, imported_from);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_err(s, err, "cannot start a run");
    *run_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int store_run_end(struct store *s, int64_t run_id, const char *status, char *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "UPDATE runs SET ended = ?1, status = ?2 WHERE id = ?3", -1, &st,
                           NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the run end");
    char now[32];
    now_rfc3339(now, sizeof(now));
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, run_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_err(s, err, "cannot end the run");
}

/* ---------------------------------------------------------------- results */

/* Fields that are settings of a test (what rows are matched on and filtered by), in
 * every kind, with llama-bench's (or batched-bench's, mem's) short flag and long name */
const struct store_setting store_settings[] = {
    {"n_prompt", "p", "n_prompt"},
    {"n_gen", "n", "n_gen"},
    {"n_depth", "d", "n_depth"},
    {"pp", "npp", NULL},
    {"tg", "ntg", NULL},
    {"pl", "npl", NULL},
    {"n_kv", NULL, NULL},
    {"is_pp_shared", "pps", NULL},
    {"n_kv_max", NULL, NULL},
    {"n_ctx", "c", "ctx_size"},
    {"n_batch", "b", "batch_size"},
    {"n_ubatch", "ub", "ubatch_size"},
    {"n_seq", "np", "parallel"},
    {"n_threads", "t", "threads"},
    {"n_threads_batch", "tb", "threads_batch"},
    {"cpu_mask", "C", NULL},
    {"cpu_strict", NULL, NULL},
    {"poll", NULL, NULL},
    {"type_k", "ctk", "cache_type_k"},
    {"type_v", "ctv", "cache_type_v"},
    {"n_gpu_layers", "ngl", NULL},
    {"n_cpu_moe", "ncmoe", NULL},
    {"split_mode", "sm", NULL},
    {"main_gpu", "mg", NULL},
    {"no_kv_offload", "nkvo", NULL},
    {"flash_attn", "fa", NULL},
    {"devices", "dev", "device"},
    {"tensor_split", "ts", NULL},
    {"tensor_buft_overrides", "ot", "override_tensor"},
    {"use_mmap", "mmp", "mmap"},
    {"load_mode", "lm", NULL},
    {"embeddings", "embd", NULL},
    {"no_op_offload", "nopo", NULL},
    {"text", NULL, NULL},
    {"n_parallel", NULL, NULL},
    {"kv_unified", "kvu", NULL},
    {NULL, NULL, NULL},
};

/* Settings of a row as JSON text (the caller frees) */
static char *row_settings(const cJSON *row)
{
    cJSON *o = cJSON_CreateObject();
    for (const struct store_setting *k = store_settings; k->field; k++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(row, k->field);
        if (it && !cJSON_IsArray(it) && !cJSON_IsObject(it))
            cJSON_AddItemToObject(o, k->field, cJSON_Duplicate(it, 1));
    }
    char *txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return txt;
}

/* The test's name: pp512, tg128, pp512+tg128, with @dN for a depth (llama-bench's) */
static void row_test(const char *kind, const cJSON *row, char *out, size_t n)
{
    double p = 0, g = 0, d = 0;
    if (strcmp(kind, "bench") != 0) {
        snprintf(out, n, "%s", kind);
        return;
    }
    jnum(row, "n_prompt", &p);
    jnum(row, "n_gen", &g);
    jnum(row, "n_depth", &d);
    int len = 0;
    if (p > 0 && g > 0)
        len = snprintf(out, n, "pp%.0f+tg%.0f", p, g);
    else if (p > 0)
        len = snprintf(out, n, "pp%.0f", p);
    else
        len = snprintf(out, n, "tg%.0f", g);
    if (d > 0 && len > 0 && (size_t)len < n)
        snprintf(out + len, n - (size_t)len, " @ d%.0f", d);
}

struct build_arg {
    const cJSON *row;
};

static void build_bind(sqlite3_stmt *st, const void *arg)
{
    const cJSON *row = ((const struct build_arg *)arg)->row;
    bind_text(st, 2, jstr(row, "llama_version"));
    bind_text(st, 3, jstr(row, "build_commit"));
    static const char *const bn[] = {"build_number", NULL};
    bind_num(st, 4, row, bn, true);
    bind_text(st, 5, jstr(row, "backends"));
    bind_text(st, 6, jstr(row, "system_info"));
    bind_text(st, 7, jstr(row, "quantbench_version"));
}

static void model_bind(sqlite3_stmt *st, const void *arg)
{
    const cJSON *row = ((const struct build_arg *)arg)->row;
    bind_text(st, 2, jstr(row, "model_filename"));
    static const char *const size[] = {"model_size", NULL}, *const np[] = {"model_n_params", NULL};
    bind_num(st, 3, row, size, true);
    bind_text(st, 4, jstr(row, "model_type"));
    bind_num(st, 5, row, np, true);
    bind_text(st, 6, jstr(row, "file_type"));
}

/* The ids of the build and model a row names (0 when it names none) */
static int row_refs(struct store *s, const cJSON *row, int64_t *build, int64_t *model, char *err)
{
    struct build_arg a = {row};
    *build = *model = 0;
    const char *commit = jstr(row, "build_commit");
    if (commit) {
        double num = 0;
        jnum(row, "build_number", &num);
        char *text =
            xasprintf("%s|%.0f|%s|%s|%s|%s", commit, num,
                      jstr(row, "llama_version") ? jstr(row, "llama_version") : "",
                      jstr(row, "backends") ? jstr(row, "backends") : "",
                      jstr(row, "system_info") ? jstr(row, "system_info") : "",
                      jstr(row, "quantbench_version") ? jstr(row, "quantbench_version") : "");
        char fp[17];
        fingerprint(text, fp);
        free(text);
        if (upsert_id(s, "builds", "fingerprint", fp,
                      "INSERT OR IGNORE INTO builds(fingerprint, llama_version, llama_commit, "
                      "llama_build_number, backends, system_info, quantbench_version) "
                      "VALUES(?1,?2,?3,?4,?5,?6,?7)",
                      build_bind, &a, build, err) < 0)
            return -1;
    }
    const char *qid = jstr(row, "model_id");
    const char *file = jstr(row, "model_filename");
    char alt[600];
    if ((!qid || !qid[0]) && file) {
        /* imported rows: no hash of the file, so the name, size and type stand for it */
        double size = 0;
        jnum(row, "model_size", &size);
        const char *type = jstr(row, "model_type");
        snprintf(alt, sizeof(alt), "name:%s|%.0f|%s", file, size, type ? type : "");
        qid = alt;
    }
    if (qid && qid[0] &&
        upsert_id(s, "models", "quick_id", qid,
                  "INSERT OR IGNORE INTO models(quick_id, path, size_bytes, model_type, n_params, "
                  "file_type) VALUES(?1,?2,?3,?4,?5,?6)",
                  model_bind, &a, model, err) < 0)
        return -1;
    return 0;
}

static void bind_id(sqlite3_stmt *st, int i, int64_t id)
{
    if (id > 0)
        sqlite3_bind_int64(st, i, id);
    else
        sqlite3_bind_null(st, i);
}

int store_add_result(struct store *s, int64_t run_id, const char *kind, const cJSON *row, int line,
                     char *err)
{
    static const char *const
        k_prompt[] = {"n_prompt", "pp", NULL},
        *const k_gen[] = {"n_gen", "tg", NULL}, *const k_depth[] = {"n_depth", "n_kv", NULL},
        *const k_batch[] = {"n_batch", NULL}, *const k_ubatch[] = {"n_ubatch", NULL},
        *const k_threads[] = {"n_threads", NULL}, *const k_ngl[] = {"n_gpu_layers", NULL},
        *const k_pl[] = {"pl", "n_parallel", NULL}, *const k_avg[] = {"avg_ts", "speed", NULL},
        *const k_sd[] = {"stddev_ts", "speed_sd", NULL};
    bool own = sqlite3_get_autocommit(s->db) != 0; /* else store_begin's transaction holds it */
    if (own && exec(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    int64_t build = 0, model = 0, host = 0;
    sqlite3_stmt *st = NULL;
    char *settings = NULL, *text = NULL;
    int ret = -1;
    if (row_refs(s, row, &build, &model, err) < 0 ||
        host_id(s, jstr(row, "gpu_info"), &host, err) < 0)
        goto out;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO results(run_id, kind, test, model_id, build_id, host_id, "
                           "status, reason, n_prompt, n_gen, n_depth, n_batch, n_ubatch, "
                           "n_threads, n_gpu_layers, type_k, type_v, flash_attn, n_parallel, "
                           "avg_ts, stddev_ts, n_samples, settings, row, created, source_line) "
                           "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
                           "?18,?19,?20,?21,?22,?23,?24,?25,?26)",
                           -1, &st, NULL) != SQLITE_OK) {
        db_err(s, err, "cannot prepare the result");
        goto out;
    }
    char test[96], now[32];
    row_test(kind, row, test, sizeof(test));
    now_rfc3339(now, sizeof(now));
    const char *status = jstr(row, "status");
    const char *reason = jstr(row, "error");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, test, -1, SQLITE_TRANSIENT);
    bind_id(st, 4, model);
    bind_id(st, 5, build);
    bind_id(st, 6, host);
    sqlite3_bind_text(st, 7, status ? status : "ok", -1, SQLITE_TRANSIENT);
    bind_text(st, 8, reason && reason[0] ? reason : NULL);
    bind_num(st, 9, row, k_prompt, true);
    bind_num(st, 10, row, k_gen, true);
    bind_num(st, 11, row, k_depth, true);
    bind_num(st, 12, row, k_batch, true);
    bind_num(st, 13, row, k_ubatch, true);
    bind_num(st, 14, row, k_threads, true);
    bind_num(st, 15, row, k_ngl, true);
    bind_setting(st, 16, row, "type_k");
    bind_setting(st, 17, row, "type_v");
    bind_setting(st, 18, row, "flash_attn");
    bind_num(st, 19, row, k_pl, true);
    bind_num(st, 20, row, k_avg, false);
    bind_num(st, 21, row, k_sd, false);
    const cJSON *smp = cJSON_GetObjectItemCaseSensitive(row, "samples_ts");
    if (!cJSON_IsArray(smp))
        smp = cJSON_GetObjectItemCaseSensitive(row, "samples_pp_ns");
    if (cJSON_IsArray(smp))
        sqlite3_bind_int(st, 22, cJSON_GetArraySize(smp));
    else
        sqlite3_bind_null(st, 22);
    settings = row_settings(row);
    text = cJSON_PrintUnformatted(row);
    sqlite3_bind_text(st, 23, settings, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 24, text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 25, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 26, line);
    if (sqlite3_step(st) != SQLITE_DONE) {
        db_err(s, err, "cannot insert the result");
        goto out;
    }
    if (own && exec(s, "COMMIT", err) < 0)
        goto out;
    ret = 0;
out:
    sqlite3_finalize(st);
    free(settings);
    free(text);
    if (ret < 0 && own)
        exec(s, "ROLLBACK", NULL);
    return ret;
}

/* ---------------------------------------------------------------- queries */

const char *store_setting_field(const char *key)
{
    char k[64];
    size_t n = strlen(key);
    if (n == 0 || n >= sizeof(k))
        return NULL;
    for (size_t i = 0; i <= n; i++)
        k[i] = key[i] == '-' ? '_' : key[i];
    for (const struct store_setting *e = store_settings; e->field; e++)
        if (strcmp(k, e->field) == 0 || (e->flag && strcmp(k, e->flag) == 0) ||
            (e->name && strcmp(k, e->name) == 0))
            return e->field;
    return NULL;
}

/* "on", "true", "yes" = 1, "off", "false", "no" = 0, "auto" = -1 (llama.cpp's -fa), else a
 * number */
static bool filter_number(const char *v, double *out)
{
    static const struct {
        const char *word;
        double v;
    } words[] = {{"on", 1},    {"true", 1}, {"yes", 1},  {"off", 0},
                 {"false", 0}, {"no", 0},   {"auto", -1}};
    for (size_t i = 0; i < QB_ARRAY_LEN(words); i++)
        if (strcasecmp(v, words[i].word) == 0)
            return *out = words[i].v, true;
    return parse_double(v, out) == 0;
}

/* A setting of a row equals a filter's value: numbers and booleans by value, text
 * ignoring case (q8_0 = Q8_0); a row without the setting does not match */
static bool setting_matches(const cJSON *settings, const char *field, const char *value)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(settings, field);
    double want;
    if (cJSON_IsNumber(it))
        return filter_number(value, &want) && it->valuedouble == want;
    if (cJSON_IsBool(it))
        return filter_number(value, &want) && (want != 0) == cJSON_IsTrue(it);
    if (cJSON_IsString(it)) {
        double have;
        if (strcasecmp(it->valuestring, value) == 0)
            return true;
        /* llama-bench's csv/md give some numbers as text ("1", "on") */
        return filter_number(it->valuestring, &have) && filter_number(value, &want) && have == want;
    }
    return false;
}

/* v with LIKE's wildcards escaped by '\', then '%': a literal prefix (the caller frees) */
static char *like_prefix(const char *v)
{
    size_t n = strlen(v), k = 0;
    char *p = xmalloc(2 * n + 2);
    for (const char *c = v; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '\\')
            p[k++] = '\\';
        p[k++] = *c;
    }
    p[k++] = '%';
    p[k] = 0;
    return p;
}

int store_query_each(struct store *s, const struct store_filter *f,
                     int (*fn)(cJSON *res, void *ctx), void *ctx, char *err)
{
    /* every string matches literally: instr() for substrings, = for whole values, LIKE
     * only for the commit prefix (any case) with its wildcards escaped */
    static const char sql[] =
        "SELECT r.id, r.run_id, u.label, r.kind, r.status, u.imported_from, r.source_line, r.row, "
        "r.test, r.settings "
        "FROM results r JOIN runs u ON u.id = r.run_id "
        "LEFT JOIN models m ON m.id = r.model_id LEFT JOIN builds b ON b.id = r.build_id "
        "WHERE (?1 = 0 OR r.run_id = ?1) AND (?2 IS NULL OR u.label = ?2) "
        "AND (?3 IS NULL OR r.kind = ?3) "
        "AND (?4 IS NULL OR instr(m.path, ?4) > 0 OR instr(m.model_type, ?4) > 0) "
        "AND (?5 IS NULL OR instr(upper(m.model_type), upper(?5)) > 0 "
        "     OR instr(upper(m.path), upper(?5)) > 0) "
        "AND (?6 IS NULL OR b.llama_commit LIKE ?7 ESCAPE '\\' "
        "     OR CAST(b.llama_build_number AS TEXT) = ?6) "
        "AND (?8 = 0 OR r.status = 'ok') ORDER BY r.id";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the query");
    char *build_like = f->build ? like_prefix(f->build) : NULL;
    sqlite3_bind_int64(st, 1, f->run_id);
    bind_text(st, 2, f->label);
    bind_text(st, 3, f->kind);
    bind_text(st, 4, f->model);
    bind_text(st, 5, f->quant);
    bind_text(st, 6, f->build);
    bind_text(st, 7, build_like);
    sqlite3_bind_int(st, 8, f->ok_only);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *set_txt = (const char *)sqlite3_column_text(st, 9);
        cJSON *set = set_txt ? cJSON_Parse(set_txt) : NULL;
        bool keep = true;
        for (int i = 0; i < f->n_set && keep; i++)
            keep = setting_matches(set, f->set[i].field, f->set[i].value);
        if (!keep) {
            cJSON_Delete(set);
            continue;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0));
        cJSON_AddNumberToObject(o, "run_id", (double)sqlite3_column_int64(st, 1));
        const char *label = (const char *)sqlite3_column_text(st, 2);
        if (label)
            cJSON_AddStringToObject(o, "label", label);
        else
            cJSON_AddNullToObject(o, "label");
        cJSON_AddStringToObject(o, "kind", (const char *)sqlite3_column_text(st, 3));
        cJSON_AddStringToObject(o, "status", (const char *)sqlite3_column_text(st, 4));
        cJSON_AddBoolToObject(o, "imported", sqlite3_column_type(st, 5) != SQLITE_NULL);
        cJSON_AddNumberToObject(o, "line", sqlite3_column_int(st, 6));
        cJSON *row = cJSON_Parse((const char *)sqlite3_column_text(st, 7));
        cJSON_AddItemToObject(o, "row", row ? row : cJSON_CreateObject());
        const char *test = (const char *)sqlite3_column_text(st, 8);
        cJSON_AddStringToObject(o, "test", test ? test : "");
        cJSON_AddItemToObject(o, "settings", set ? set : cJSON_CreateObject());
        ret = fn(o, ctx);
        if (ret != 0)
            break;
    }
    sqlite3_finalize(st);
    free(build_like);
    if (ret != 0)
        return ret;
    if (rc != SQLITE_DONE)
        return db_err(s, err, "query failed");
    return 0;
}

static int collect_row(cJSON *res, void *ctx)
{
    cJSON_AddItemToArray(ctx, res); /* O(1): cJSON keeps the last item in child->prev */
    return 0;
}

int store_query(struct store *s, const struct store_filter *f, cJSON **rows, char *err)
{
    cJSON *arr = cJSON_CreateArray();
    if (store_query_each(s, f, collect_row, arr, err) != 0) {
        cJSON_Delete(arr);
        return -1;
    }
    *rows = arr;
    return 0;
}

/* ---------------------------------------------------------------- imports */

/* An imported file's SHA-256 is kept in meta as "import:sha256:HEX" = run id, so the
 * same bytes are not stored twice (no schema change: meta is a key/value table) */
int64_t store_find_import(struct store *s, const char *sha256_hex)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(
            s->db,
            "SELECT CAST(m.value AS INTEGER) FROM meta m JOIN runs u "
            "ON u.id = CAST(m.value AS INTEGER) WHERE m.key = 'import:sha256:' || ?1",
            -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, sha256_hex, -1, SQLITE_TRANSIENT);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return id;
}

int store_note_import(struct store *s, const char *sha256_hex, int64_t run_id, char *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT OR REPLACE INTO meta(key, value) "
                           "VALUES('import:sha256:' || ?1, CAST(?2 AS TEXT))",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the import note");
    sqlite3_bind_text(st, 1, sha256_hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, run_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_err(s, err, "cannot note the import");
}

int store_begin(struct store *s, char *err)
{
    return exec(s, "BEGIN IMMEDIATE", err);
}

int store_commit(struct store *s, char *err)
{
    return exec(s, "COMMIT", err);
}

void store_rollback(struct store *s)
{
    if (s && !sqlite3_get_autocommit(s->db))
        exec(s, "ROLLBACK", NULL);
}

int store_list_runs(struct store *s, cJSON **runs, char *err)
{
    static const char sql[] =
        "SELECT u.id, u.label, u.command, u.argv, u.started, u.ended, u.status, u.imported_from, "
        "h.name, (SELECT count(*) FROM results r WHERE r.run_id = u.id) "
        "FROM runs u LEFT JOIN hosts h ON h.id = u.host_id ORDER BY u.id DESC";
    static const char *const names[] = {"id",    "label",  "command",       "argv", "started",
                                        "ended", "status", "imported_from", "host", "n_results"};
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the run list");
    cJSON *arr = cJSON_CreateArray();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        for (int i = 0; i < (int)QB_ARRAY_LEN(names); i++) {
            int t = sqlite3_column_type(st, i);
            if (t == SQLITE_INTEGER)
                cJSON_AddNumberToObject(o, names[i], (double)sqlite3_column_int64(st, i));
            else if (t == SQLITE_NULL)
                cJSON_AddNullToObject(o, names[i]);
            else
                cJSON_AddStringToObject(o, names[i], (const char *)sqlite3_column_text(st, i));
        }
        cJSON_AddItemToArray(arr, o);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(arr);
        return db_err(s, err, "run list failed");
    }
    *runs = arr;
    return 0;
}

int64_t store_find_run(struct store *s, const char *label_or_id)
{
    bool digits = label_or_id[0] != 0 && strspn(label_or_id, "0123456789") == strlen(label_or_id);
    sqlite3_stmt *st = NULL;
    const char *sql = digits ? "SELECT id FROM runs WHERE id = CAST(?1 AS INTEGER)"
                             : "SELECT id FROM runs WHERE label = ?1 ORDER BY id DESC LIMIT 1";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, label_or_id, -1, SQLITE_TRANSIENT);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return id;
}
