/* SQLite results store: schema and migrations, runs, result rows, queries. See
 * store.h. Nothing outside this file sees an SQLITE_* code.
 *
 * An existing file is judged on what SQLite itself would read: the main file and, when
 * one has content, its -wal or -journal. Without one the main file is read immutable;
 * with one, main and log are copied into a private directory and the copy is read, so
 * a file that is not ours is never written to (not even its -shm). A new database is
 * made beside the path under a temporary name and linked into place whole, so no
 * process ever sees one half made. Writes wait for locks and retry failures (disk
 * full, I/O errors) with back-off for store_busy_ms() before giving up. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../record/fields.h"
#include "../util/clock.h"
#include "../util/sha256.h"
#include "../util/sig.h"
#include "../util/strmap.h"
#include "../util/util.h"

#ifndef QB_VERSION
#define QB_VERSION "0.1.0"
#endif

#define STORE_BUSY_MS_DEFAULT 30000
#define STORE_SIG_MS          3000 /* after SIGINT/SIGTERM a write waits at most this much more */

struct store {
    sqlite3 *db;
    char path[512];       /* as given, control characters shown as '?' (for messages) */
    char copy_dir[512];   /* a private copy this handle reads (read-only media), or "" */
    int code;             /* SQLite's result code of the last failure */
    int64_t busy_ms;      /* how long a write waits for locks and retries */
    uint64_t deadline_ns; /* in a write, the busy handler gives up at this monotime_ns() */
    bool in_write;        /* deadline_ns holds (else each wait gets busy_ms of its own) */
    uint64_t wait_end_ns; /* outside a write: the end of the current wait */
    bool in_tx;           /* in store_begin's or write_tx's transaction: writes join it */
    bool in_place;        /* connected to the file itself: in the registry below */
    dev_t dev;            /* the file's, when in_place */
    ino_t ino;
    char journal_note[256]; /* a network filesystem's rollback journal, said once, or "" */
};

/* The files this process has open in place. POSIX drops every lock a process holds on a
 * file when it closes any descriptor of it: the raw reads of the checks (probe_path,
 * store_writable) on a file another handle of this process has open would take that
 * handle's SQLite locks away (another process could then delete or recover the log under
 * it). A second handle on such a file (the dashboard's server beside the run that writes)
 * connects through SQLite alone: the first one's open judged the file already. */
static pthread_mutex_t open_mu = PTHREAD_MUTEX_INITIALIZER;
static struct store *open_list[64];

static bool open_has(dev_t dev, ino_t ino)
{
    bool has = false;
    pthread_mutex_lock(&open_mu);
    for (size_t i = 0; i < QB_ARRAY_LEN(open_list); i++)
        has |= open_list[i] && open_list[i]->dev == dev && open_list[i]->ino == ino;
    pthread_mutex_unlock(&open_mu);
    return has;
}

/* note s (connected to path) in the registry; a full one leaves it out (the checks then
 * run for its file again, as they did before there was one) */
static void open_add(struct store *s, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return;
    s->dev = sb.st_dev;
    s->ino = sb.st_ino;
    pthread_mutex_lock(&open_mu);
    for (size_t i = 0; i < QB_ARRAY_LEN(open_list); i++)
        if (!open_list[i]) {
            s->in_place = true;
            open_list[i] = s;
            break;
        }
    pthread_mutex_unlock(&open_mu);
}

static void open_remove(struct store *s)
{
    pthread_mutex_lock(&open_mu);
    for (size_t i = 0; i < QB_ARRAY_LEN(open_list); i++)
        if (open_list[i] == s)
            open_list[i] = NULL;
    pthread_mutex_unlock(&open_mu);
}

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
    /* 3: a run that failed says why (a row that could not be stored, ...) */
    "ALTER TABLE runs ADD COLUMN reason TEXT;",
    /* 4: suite runs (quantbench run): the suite and its plan of cells, each finished cell
     * with its rows (cell_id), and the events another process follows the run by */
    "CREATE TABLE suites(run_id INTEGER PRIMARY KEY REFERENCES runs(id), suite TEXT NOT NULL);"
    "CREATE TABLE suite_plan(run_id INTEGER NOT NULL REFERENCES runs(id), idx INTEGER NOT NULL,"
    " key TEXT NOT NULL, grp TEXT NOT NULL, model TEXT NOT NULL, test TEXT NOT NULL,"
    " settings TEXT NOT NULL, PRIMARY KEY(run_id, idx));"
    "CREATE TABLE cells(id INTEGER PRIMARY KEY, key TEXT NOT NULL,"
    " run_id INTEGER NOT NULL REFERENCES runs(id), model TEXT NOT NULL, test TEXT NOT NULL,"
    " settings TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL,"
    " stderr_tail TEXT NOT NULL, started REAL NOT NULL, ended REAL NOT NULL);"
    "CREATE INDEX cells_key ON cells(key);"
    "ALTER TABLE results ADD COLUMN cell_id INTEGER;"
    "CREATE INDEX results_cell ON results(cell_id) WHERE cell_id IS NOT NULL;"
    "CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL,"
    " cell INTEGER, kind TEXT NOT NULL, payload TEXT NOT NULL, time REAL NOT NULL);"
    "CREATE INDEX events_run ON events(run_id, id);"
    /* a cell a running suite measures now, so another run of it on this database waits
     * its turn rather than measure the same cell twice */
    "CREATE TABLE claims(key TEXT PRIMARY KEY, run_id INTEGER NOT NULL, host TEXT NOT NULL,"
    " pid INTEGER NOT NULL, time REAL NOT NULL);",
};

_Static_assert(QB_ARRAY_LEN(migrations) == STORE_SCHEMA_VERSION, "one migration per version");

/* ---------------------------------------------------------------- small helpers */

/* Sleep ms, cut short by a caught SIGINT/SIGTERM (the command is unwinding) */
static void sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !sig_caught())
        ;
}

/* end (a monotime_ns deadline), no later than STORE_SIG_MS from now once a signal was
 * caught: the user waits for the command to stop, and a second Ctrl-C would leave the
 * run 'running'. Called again it keeps the first cap. */
static uint64_t sig_cap(uint64_t end)
{
    if (!sig_caught())
        return end;
    uint64_t cap = monotime_ns() + (uint64_t)STORE_SIG_MS * 1000000u;
    return cap < end ? cap : end;
}

/* path with control characters as '?', so a message stays one line */
static void path_show(const char *path, char *out, size_t n)
{
    snprintf(out, n, "%s", path);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
            *p = '?';
}

/* text on one line: runs of white space (SQLite's integrity reports have newlines) become
 * one space, and it is cut at n - 1 bytes */
static void one_line(const char *text, char *out, size_t n)
{
    size_t len = 0;
    bool space = false;
    for (const char *p = text ? text : ""; *p && len + 1 < n; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f) {
            space = len > 0;
            continue;
        }
        if (space && len + 2 < n)
            out[len++] = ' ';
        space = false;
        out[len++] = (char)c;
    }
    out[len] = 0;
}

int64_t store_busy_ms(void)
{
    const char *v = getenv("QB_DB_BUSY_MS");
    int64_t ms;
    if (v && v[0] && parse_i64(v, 0, (int64_t)24 * 3600 * 1000, &ms) == 0)
        return ms;
    return STORE_BUSY_MS_DEFAULT;
}

void store_set_busy_ms(struct store *s, int64_t ms)
{
    s->busy_ms = ms < 0 ? 0 : ms;
}

/* A write (with its retries) begins: it may wait until busy_ms from now */
static void deadline_start(struct store *s)
{
    s->deadline_ns = sig_cap(monotime_ns() + (uint64_t)s->busy_ms * 1000000u);
    s->in_write = true;
}

/* SQLite's busy handler: back off (1, 2, 4 ... 64 ms) until the deadline */
static int busy_wait(void *arg, int n)
{
    struct store *s = arg;
    uint64_t now = monotime_ns();
    if (!s->in_write && n == 0)
        s->wait_end_ns = now + (uint64_t)s->busy_ms * 1000000u;
    if (s->in_write)
        s->deadline_ns = sig_cap(s->deadline_ns);
    else
        s->wait_end_ns = sig_cap(s->wait_end_ns);
    uint64_t end = s->in_write ? s->deadline_ns : s->wait_end_ns;
    if (now >= end)
        return 0;
    uint64_t ms = n < 6 ? (uint64_t)1 << n : 64, left = (end - now) / 1000000 + 1;
    sleep_ms(ms < left ? ms : left);
    return 1;
}

static int db_err(struct store *s, char *err, const char *what)
{
    s->code = sqlite3_errcode(s->db);
    char msg[256];
    one_line(sqlite3_errmsg(s->db), msg, sizeof(msg));
    return set_err(err, "database '%s': %s: %s", s->path, what, msg);
}

static int exec(struct store *s, const char *sql, char *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        s->code = rc & 0xff;
        char line[256];
        one_line(msg ? msg : sqlite3_errstr(rc), line, sizeof(line));
        set_err(err, "database '%s': %s", s->path, line);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* A failure that may pass: another writer's lock, a full disk, an I/O error */
static bool transient(int code)
{
    return code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_FULL ||
           code == SQLITE_IOERR || code == SQLITE_PROTOCOL;
}

/* Add " (after X s of retries)" to err when a write failed for a reason that may pass */
static void note_tries(char *err, int code, uint64_t t0)
{
    size_t len = err ? strlen(err) : 0;
    if (err && transient(code) && len + 1 < QB_ERR_LEN)
        snprintf(err + len, QB_ERR_LEN - len, " (after %.1f s of retries)",
                 (double)(monotime_ns() - t0) / 1e9);
}

/* A transaction open that no one of ours began (a ROLLBACK that failed, say): roll it
 * back, since nothing in it would ever be committed; -1 with err when that fails too */
static int end_stray_tx(struct store *s, char *err)
{
    if (sqlite3_get_autocommit(s->db))
        return 0;
    if (sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK &&
        sqlite3_get_autocommit(s->db))
        return 0;
    db_err(s, err, "a transaction was left open and cannot be rolled back");
    s->code = 0; /* no retry mends it */
    return -1;
}

/* After a failed try with s->code: false when another is not worth it (not transient, or
 * the deadline, cut short by a signal, has passed); else wait the back-off (5 ms doubling
 * to 500 ms, never past the deadline) and true */
static bool retry_wait(struct store *s, uint64_t *wait_ms)
{
    uint64_t now = monotime_ns();
    s->deadline_ns = sig_cap(s->deadline_ns);
    if (!transient(s->code) || now >= s->deadline_ns)
        return false;
    /* a full disk or an I/O error, outside a transaction: free the log's space if it can */
    if ((s->code == SQLITE_FULL || s->code == SQLITE_IOERR) && sqlite3_get_autocommit(s->db))
        sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    uint64_t left = (s->deadline_ns - now) / 1000000 + 1;
    sleep_ms(*wait_ms < left ? *wait_ms : left);
    *wait_ms = *wait_ms * 2 < 500 ? *wait_ms * 2 : 500;
    return true;
}

/* Run body in a BEGIN IMMEDIATE transaction; a transient failure rolls back and is
 * retried with back-off until s->busy_ms has passed. body fails with s->code set to a
 * non-transient code (0) for what no retry can mend. Writes body makes join this
 * transaction; so does a write_tx inside store_begin's. */
static int write_tx(struct store *s, int (*body)(struct store *, void *, char *), void *arg,
                    char *err)
{
    /* inside store_begin's transaction, which holds the write lock: part of it */
    if (s->in_tx)
        return body(s, arg, err);
    /* one open by accident is not joined: what joined it would be lost at close */
    if (end_stray_tx(s, err) < 0)
        return -1;
    uint64_t t0 = monotime_ns(), wait_ms = 5;
    deadline_start(s);
    for (;;) {
        s->code = 0;
        int ret = exec(s, "BEGIN IMMEDIATE", err);
        if (ret == 0) {
            s->in_tx = true;
            ret = body(s, arg, err);
            s->in_tx = false;
        }
        if (ret == 0)
            ret = exec(s, "COMMIT", err);
        if (ret == 0) {
            s->in_write = false;
            return 0;
        }
        int code = s->code;
        if (!sqlite3_get_autocommit(s->db) &&
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
            code = 0; /* the next BEGIN would fail: do not retry */
        s->code = code;
        if (!retry_wait(s, &wait_ms))
            break;
    }
    s->in_write = false;
    note_tries(err, s->code, t0);
    return -1;
}

/* A statement outside a transaction (PRAGMA journal_mode), retried as write_tx does */
static int exec_retry(struct store *s, const char *sql, char *err)
{
    uint64_t t0 = monotime_ns(), wait_ms = 5;
    deadline_start(s);
    for (;;) {
        if (exec(s, sql, err) == 0) {
            s->in_write = false;
            return 0;
        }
        if (!retry_wait(s, &wait_ms))
            break;
    }
    s->in_write = false;
    note_tries(err, s->code, t0);
    return -1;
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

/* ---------------------------------------------------------------- what is on disk */

struct file_state {
    bool exists;
    bool regular;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
};

/* The files SQLite reads for a database, to see whether they changed while we read */
struct disk_state {
    struct file_state main, wal, jrnl;
    unsigned char wal_head[32]; /* salts and checkpoint sequence: a restarted log differs */
};

static void file_state_of(const char *p, struct file_state *f)
{
    struct stat sb;
    memset(f, 0, sizeof(*f));
    if (stat(p, &sb) != 0)
        return;
    f->exists = true;
    f->regular = S_ISREG(sb.st_mode);
    f->dev = sb.st_dev;
    f->ino = sb.st_ino;
    f->size = sb.st_size;
    f->mtime = sb.st_mtim;
    f->ctime = sb.st_ctim;
}

static bool file_state_same(const struct file_state *a, const struct file_state *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static void disk_state_read(const char *real, struct disk_state *d)
{
    char p[PATH_MAX + 16];
    memset(d, 0, sizeof(*d));
    file_state_of(real, &d->main);
    snprintf(p, sizeof(p), "%s-wal", real);
    file_state_of(p, &d->wal);
    if (d->wal.exists) {
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (read(fd, d->wal_head, sizeof(d->wal_head)) < 0)
                memset(d->wal_head, 0, sizeof(d->wal_head));
            close(fd);
        }
    }
    snprintf(p, sizeof(p), "%s-journal", real);
    file_state_of(p, &d->jrnl);
}

static bool file_state_same_file(const struct file_state *a, const struct file_state *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino;
}

/* Whether what was read (before) is still a state SQLite would read (after): the main
 * file and any -journal unchanged, and a -wal that was read the same log (the same file
 * with the same header: salts and checkpoint sequence, which a restarted or truncated
 * log changes) that at most grew. A writer only appends frames to a log; a copy cut in
 * a frame, or ending before its commit frame, is a valid earlier state since SQLite
 * stops reading at the first frame whose checksum fails. A -wal that was empty was not
 * read: the main file alone, unchanged, is such a state whatever the log holds now. */
static bool disk_state_stable(const struct disk_state *a, const struct disk_state *b)
{
    if (!file_state_same(&a->main, &b->main) || !file_state_same(&a->jrnl, &b->jrnl))
        return false;
    if (a->wal.size == 0)
        return true;
    return file_state_same_file(&a->wal, &b->wal) && b->wal.size >= a->wal.size &&
           memcmp(a->wal_head, b->wal_head, sizeof(a->wal_head)) == 0;
}

/* Copy src to a new file dst; 1 when src is gone (it changed under us), -1 with err */
static int copy_file(const char *src, const char *dst, char *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno == ENOENT ? 1 : set_err(err, "cannot read '%s': %s", src, strerror(errno));
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        set_err(err, "cannot copy to '%s': %s", dst, strerror(errno));
        close(in);
        return -1;
    }
    char buf[65536];
    int ret = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = set_err(err, "cannot read '%s': %s", src, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                ret = set_err(err, "cannot copy to '%s': %s", dst, strerror(errno));
                break;
            }
            off += w;
        }
        if (ret < 0)
            break;
    }
    if (close(out) < 0 && ret == 0)
        ret = set_err(err, "cannot copy to '%s': %s", dst, strerror(errno));
    close(in);
    return ret;
}

static const char *const copy_names[] = {"db", "db-wal", "db-shm", "db-journal"};

static void copy_remove(char *dir)
{
    if (!dir[0])
        return;
    for (size_t i = 0; i < QB_ARRAY_LEN(copy_names); i++) {
        char p[600];
        snprintf(p, sizeof(p), "%s/%s", dir, copy_names[i]);
        unlink(p);
        sig_tmp_remove(p);
    }
    rmdir(dir);
    sig_tmp_remove(dir);
    dir[0] = 0;
}

/* The main file and its log (-wal or -journal, those with content) into a new private
 * directory dir (dir/db); 1 when a file vanished meanwhile, -1 with err */
static int copy_make(const char *real, const struct disk_state *d, char *dir, size_t n, char *err)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, n, "%s/quantbench-db-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        set_err(err, "cannot make a directory to check the database in ('%s'): %s", dir,
                strerror(errno));
        dir[0] = 0;
        return -1;
    }
    /* a signal that ends the process (report, compare) takes the copy with it */
    sig_tmp_add(dir);
    for (size_t i = 0; i < QB_ARRAY_LEN(copy_names); i++) {
        char p[600];
        snprintf(p, sizeof(p), "%s/%s", dir, copy_names[i]);
        sig_tmp_add(p);
    }
    char src[PATH_MAX + 16], dst[600];
    snprintf(dst, sizeof(dst), "%s/db", dir);
    int rc = copy_file(real, dst, err);
    if (rc == 0 && d->wal.size > 0) {
        snprintf(src, sizeof(src), "%s-wal", real);
        snprintf(dst, sizeof(dst), "%s/db-wal", dir);
        rc = copy_file(src, dst, err);
    }
    if (rc == 0 && d->jrnl.size > 0) {
        snprintf(src, sizeof(src), "%s-journal", real);
        snprintf(dst, sizeof(dst), "%s/db-journal", dir);
        rc = copy_file(src, dst, err);
    }
    if (rc != 0)
        copy_remove(dir);
    return rc;
}

/* ---------------------------------------------------------------- the check */

enum probe_verdict {
    PROBE_ABSENT,  /* no file */
    PROBE_EMPTY,   /* a 0-byte file: a new database (SQLite ignores any -wal then) */
    PROBE_OURS,    /* ours or an empty SQLite file, at version (or older) */
    PROBE_REFUSED, /* not SQLite, corrupt, another application's, newer */
    PROBE_ERROR,   /* could not be read (not a verdict on the file) */
    PROBE_BUSY,    /* it kept changing while it was read (no verdict either) */
};

struct probe {
    enum probe_verdict verdict;
    int64_t version; /* PROBE_OURS: the schema version SQLite sees */
    bool log;        /* a -wal or -journal with content: SQLite reads more than the file */
    bool stable;     /* nothing changed while it was read */
    char real[PATH_MAX];
    char copy_dir[512]; /* the private copy, when kept */
};

/* A read failed: corrupt when SQLite says so, else an error that says nothing of the file */
static int probe_read_failed(sqlite3 *db, const char *shown, struct probe *p, char *err)
{
    int code = sqlite3_errcode(db);
    char msg[256];
    one_line(sqlite3_errmsg(db), msg, sizeof(msg));
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
        p->verdict = PROBE_REFUSED;
        return set_err(err, "database '%s' is corrupt: %s (left untouched)", shown, msg);
    }
    p->verdict = PROBE_ERROR;
    return set_err(err, "cannot read database '%s': %s", shown, msg);
}

/* The first problem of SQLite's integrity report (one problem a line, after a line
 * "*** in database main ***"), and how many more there are */
static void corrupt_summary(const char *report, char *out, size_t n)
{
    const char *p = report ? report : "?";
    if (strncmp(p, "*** in database", 15) == 0 && strchr(p, '\n'))
        p = strchr(p, '\n') + 1;
    size_t len = strcspn(p, "\n"), more = 0;
    for (const char *q = p + len; *q; q++)
        if (*q == '\n' && q[1] && q[1] != '\n')
            more++;
    char first[200];
    snprintf(first, sizeof(first), "%.*s", (int)(len < sizeof(first) ? len : sizeof(first) - 1), p);
    one_line(first, out, n);
    size_t used = strlen(out);
    if (more > 0 && used + 1 < n)
        snprintf(out + used, n - used, " (and %zu more problem%s)", more, more == 1 ? "" : "s");
}

/* Judge an open connection: ours, empty, another application's, newer, corrupt */
static int probe_db(sqlite3 *db, const char *shown, struct probe *p, char *err)
{
    int64_t app = 0, ver = 0, n_tab = 0;
    if (pragma_int(db, "PRAGMA application_id", &app) < 0 ||
        pragma_int(db, "PRAGMA user_version", &ver) < 0 ||
        pragma_int(db, "SELECT count(*) FROM sqlite_master", &n_tab) < 0)
        return probe_read_failed(db, shown, p, err);
    if (app != STORE_APPLICATION_ID && (app != 0 || n_tab > 0)) {
        p->verdict = PROBE_REFUSED;
        return set_err(err,
                       "'%s' is not a quantbench database (an SQLite file of another "
                       "application; left untouched)",
                       shown);
    }
    if (ver > STORE_SCHEMA_VERSION) {
        p->verdict = PROBE_REFUSED;
        return set_err(err,
                       "database '%s' has schema version %lld, newer than this quantbench "
                       "knows (%d); left untouched",
                       shown, (long long)ver, STORE_SCHEMA_VERSION);
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return probe_read_failed(db, shown, p, err);
    }
    const char *res = (const char *)sqlite3_column_text(st, 0);
    if (!res || strcmp(res, "ok") != 0) {
        char why[256];
        corrupt_summary(res, why, sizeof(why));
        sqlite3_finalize(st);
        p->verdict = PROBE_REFUSED;
        return set_err(err, "database '%s' is corrupt: %s (left untouched)", shown, why);
    }
    sqlite3_finalize(st);
    p->verdict = PROBE_OURS;
    p->version = ver;
    return 0;
}

/* Read the file at p->real once as SQLite would see it; snapshot reads it in a private
 * copy even without a log; keep_copy keeps a private copy that was made (p->copy_dir).
 * -1 with err for REFUSED and ERROR. */
static int probe_once(const char *shown, bool keep_copy, bool snapshot, struct probe *p, char *err)
{
    struct disk_state before, after;
    disk_state_read(p->real, &before);
    p->stable = false;
    p->log = false;
    if (!before.main.exists) {
        p->verdict = PROBE_ABSENT;
        return 0;
    }
    if (!before.main.regular) {
        p->verdict = PROBE_REFUSED;
        p->stable = true;
        return set_err(err, "database '%s' is not a regular file", shown);
    }
    int fd = open(p->real, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        p->verdict = errno == ENOENT ? PROBE_ABSENT : PROBE_ERROR;
        return errno == ENOENT
                   ? 0
                   : set_err(err, "cannot open database '%s': %s", shown, strerror(errno));
    }
    char head[16];
    ssize_t n = read(fd, head, sizeof(head));
    close(fd);
    int ret = 0;
    if (n == 0) {
        p->verdict = PROBE_EMPTY;
    } else if (n < (ssize_t)sizeof(head) || memcmp(head, "SQLite format 3", 16) != 0) {
        p->verdict = PROBE_REFUSED;
        ret = set_err(err, "'%s' is not a SQLite database (left untouched)", shown);
    } else {
        p->log = before.wal.size > 0 || before.jrnl.size > 0;
        sqlite3 *db = NULL;
        char copy[512] = "";
        if (!p->log && !snapshot) {
            /* immutable: no locks, no -wal or -shm files made; there is no log to read */
            char *uri = uri_of(p->real);
            int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
            free(uri);
            if (rc != SQLITE_OK) {
                p->verdict = PROBE_ERROR;
                ret = set_err(err, "cannot open database '%s': %s", shown,
                              db ? sqlite3_errmsg(db) : "out of memory");
            }
        } else {
            /* the log is read (and recovered, rolled back) in a private copy */
            int rc = copy_make(p->real, &before, copy, sizeof(copy), err);
            if (rc != 0) {
                p->verdict = rc > 0 ? PROBE_ABSENT : PROBE_ERROR;
                sqlite3_close(db);
                return rc > 0 ? 0 : -1; /* vanished: unstable, read again */
            }
            char dbp[600];
            snprintf(dbp, sizeof(dbp), "%s/db", copy);
            if (sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
                p->verdict = PROBE_ERROR;
                ret = set_err(err, "cannot open a copy of database '%s': %s", shown,
                              db ? sqlite3_errmsg(db) : "out of memory");
            }
        }
        if (ret == 0)
            ret = probe_db(db, shown, p, err);
        sqlite3_close(db);
        if (copy[0] && keep_copy && ret == 0)
            snprintf(p->copy_dir, sizeof(p->copy_dir), "%s", copy);
        else
            copy_remove(copy);
    }
    disk_state_read(p->real, &after);
    p->stable = disk_state_stable(&before, &after);
    return ret;
}

/* Judge the file at path, reading it again while it changes (another writer checkpointing
 * or restarting its log), for up to busy_ms (and at least twice). -1 with err for a
 * refused file, one that cannot be read, or one that never held still: a read of a file
 * that changed meanwhile is no verdict on it. */
static int probe_path(const char *path, const char *shown, bool keep_copy, bool snapshot,
                      int64_t busy_ms, struct probe *p, char *err)
{
    uint64_t deadline = monotime_ns() + (uint64_t)busy_ms * 1000000u, wait_ms = 1;
    memset(p, 0, sizeof(*p));
    for (int tries = 1;; tries++) {
        copy_remove(p->copy_dir);
        if (!realpath(path, p->real)) {
            if (errno == ENOENT) {
                p->verdict = PROBE_ABSENT;
                return 0;
            }
            p->verdict = PROBE_ERROR;
            return set_err(err, "cannot open database '%s': %s", shown, strerror(errno));
        }
        int ret = probe_once(shown, keep_copy, snapshot, p, err);
        if (p->stable)
            return ret;
        deadline = sig_cap(deadline);
        if (tries >= 2 && monotime_ns() >= deadline) {
            copy_remove(p->copy_dir);
            p->verdict = PROBE_BUSY;
            return set_err(err, "database '%s' keeps changing; try again", shown);
        }
        sleep_ms(wait_ms);
        wait_ms = wait_ms * 2 < 64 ? wait_ms * 2 : 64;
    }
}

/* ---------------------------------------------------------------- open */

struct migrate_arg {
    int target;
    bool refused; /* the file turned out not to be ours, or newer */
};

/* Read application id, version and table count: -1 with err (and a->refused) when the
 * database is another application's or newer */
static int check_owner(struct store *s, struct migrate_arg *a, int64_t *ver, char *err)
{
    int64_t app = 0, n_tab = 0;
    /* one statement, one read transaction: three would see another process's schema
     * creation half (no application id yet, tables already) */
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT (SELECT application_id FROM pragma_application_id),"
                                " (SELECT user_version FROM pragma_user_version),"
                                " (SELECT count(*) FROM sqlite_master)",
                                -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        app = sqlite3_column_int64(st, 0);
        *ver = sqlite3_column_int64(st, 1);
        n_tab = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return db_err(s, err, "cannot read the schema version");
    if (app != STORE_APPLICATION_ID && (app != 0 || n_tab > 0)) {
        a->refused = true;
        s->code = 0;
        return set_err(err,
                       "'%s' is not a quantbench database (an SQLite file of another "
                       "application; left untouched)",
                       s->path);
    }
    if (*ver > STORE_SCHEMA_VERSION) {
        a->refused = true;
        s->code = 0;
        return set_err(err,
                       "database '%s' has schema version %lld, newer than this quantbench "
                       "knows (%d); left untouched",
                       s->path, (long long)*ver, STORE_SCHEMA_VERSION);
    }
    return 0;
}

/* Inside the write transaction: look again (another process may have made or migrated
 * the schema meanwhile), then migrate what is left */
static int migrate_body(struct store *s, void *arg, char *err)
{
    struct migrate_arg *a = arg;
    int64_t ver = 0;
    if (check_owner(s, a, &ver, err) < 0)
        return -1;
    if (ver >= a->target)
        return 0;
    for (int64_t v = ver; v < a->target; v++)
        if (exec(s, migrations[v], err) < 0)
            return -1;
    char sql[160];
    snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d;",
             STORE_APPLICATION_ID, a->target);
    if (exec(s, sql, err) < 0 ||
        exec(s, "INSERT OR REPLACE INTO meta VALUES('created_by', 'quantbench " QB_VERSION "')",
             err) < 0)
        return -1;
    return 0;
}

static int migrate(struct store *s, int target, bool *refused, char *err)
{
    struct migrate_arg a = {target, false};
    int64_t ver = 0;
    /* the common case, nothing to do, without taking the write lock */
    if (check_owner(s, &a, &ver, err) < 0) {
        *refused = a.refused;
        return -1;
    }
    if (ver >= target)
        return 0;
    int ret = write_tx(s, migrate_body, &a, err);
    *refused = a.refused;
    return ret;
}

/* A connection on file (the database, or a private copy of it), WAL mode, migrated */
static int connect(struct store *s, const char *file, int flags, bool wal, int target,
                   enum store_fail *why, char *err)
{
    if (sqlite3_open_v2(file, &s->db, flags, NULL) != SQLITE_OK) {
        *why = STORE_FAIL_IO;
        return set_err(err, "cannot open database '%s': %s", s->path,
                       s->db ? sqlite3_errmsg(s->db) : "out of memory");
    }
    sqlite3_busy_handler(s->db, busy_wait, s);
    /* the owner first, on this connection: the file may have been swapped for another
     * since it was checked, and setting the journal mode would convert that one to WAL */
    struct migrate_arg owner = {target, false};
    int64_t ver = 0;
    /* a read that fails (no room for the -shm, say) is left to the steps below to say */
    if (check_owner(s, &owner, &ver, err) < 0 && owner.refused) {
        *why = STORE_FAIL_REFUSED;
        return -1;
    }
    bool refused = false;
    /* WAL's shared memory works on one host only: a network filesystem keeps a journal */
    const char *net = wal ? store_network_fs(file) : NULL;
    if (net)
        snprintf(s->journal_note, sizeof(s->journal_note),
                 "is on a network filesystem (%s): it keeps a rollback journal (journal_mode "
                 "DELETE), since SQLite's WAL needs every user on one host",
                 net);
    if ((wal && exec_retry(s, net ? "PRAGMA journal_mode = DELETE" : "PRAGMA journal_mode = WAL",
                           err) < 0) ||
        exec(s,
             net ? "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL"
                 : "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL",
             err) < 0 ||
        migrate(s, target, &refused, err) < 0) {
        *why = refused ? STORE_FAIL_REFUSED : STORE_FAIL_IO;
        return -1;
    }
    return 0;
}

/* A new database at path, made whole under a temporary name beside it and linked into
 * place (never over a file that appeared meanwhile: that one is used). 0 when path
 * exists now, 1 when links are not supported there (make it in place), -1 with err. */
static int create_whole(const char *path, const char *shown, int target, char *err)
{
    static unsigned counter;
    char tmp[PATH_MAX + 64];
    int fd = -1;
    for (int i = 0; i < 100 && fd < 0; i++) {
        snprintf(tmp, sizeof(tmp), "%s.new-%ld-%u", path, (long)getpid(), counter++);
        fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0)
        return set_err(err, "cannot create database '%s': %s", shown, strerror(errno));
    close(fd);
    struct store t;
    memset(&t, 0, sizeof(t));
    snprintf(t.path, sizeof(t.path), "%s", shown);
    t.busy_ms = store_busy_ms();
    enum store_fail why;
    int ret = connect(&t, tmp, SQLITE_OPEN_READWRITE, true, target, &why, err);
    if (sqlite3_close(t.db) != SQLITE_OK && ret == 0)
        ret = set_err(err, "cannot create database '%s': closing failed", shown);
    if (ret == 0 && link(tmp, path) < 0) {
        if (errno == EEXIST)
            ret = 0;
        else if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == EXDEV ||
                 errno == EMLINK || errno == ENOSYS)
            ret = 1;
        else
            ret = set_err(err, "cannot create database '%s': %s", shown, strerror(errno));
    }
    unlink(tmp);
    char side[PATH_MAX + 80];
    snprintf(side, sizeof(side), "%s-wal", tmp);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", tmp);
    unlink(side);
    return ret;
}

/* The directory part of path into dir ("." for a bare name) */
static void dir_of(const char *path, char *dir, size_t n)
{
    snprintf(dir, n, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, n, ".");
    else if (slash == dir)
        dir[1] = 0;
    else
        *slash = 0;
}

/* statfs's f_type of the filesystems where several hosts share one file (linux/magic.h
 * and the filesystems' own sources); FUSE is left out (sshfs and local ones alike) */
static const struct {
    uint32_t magic;
    const char *name;
} network_fs[] = {
    {0x6969, "nfs"},        {0x517b, "smb"},      {0xff534d42, "cifs"},   {0xfe534d42, "smb2"},
    {0x0bd00bd0, "lustre"}, {0x47504653, "gpfs"}, {0x19830326, "beegfs"}, {0x00c36400, "ceph"},
    {0x5346414f, "afs"},    {0x6b414653, "afs"},  {0x01021997, "9p"},     {0x20030528, "pvfs2"},
    {0x7461636f, "ocfs2"},  {0x01161970, "gfs2"}, {0x73757245, "coda"},
};

const char *store_network_fs(const char *path)
{
    const char *t = getenv("QB_TEST_FSTYPE");
    if (t && t[0]) {
        for (size_t i = 0; i < QB_ARRAY_LEN(network_fs); i++)
            if (strcmp(t, network_fs[i].name) == 0)
                return network_fs[i].name;
        return NULL;
    }
    struct statfs sb;
    if (statfs(path, &sb) != 0) {
        char dir[PATH_MAX];
        dir_of(path, dir, sizeof(dir));
        if (statfs(dir, &sb) != 0)
            return NULL;
    }
    for (size_t i = 0; i < QB_ARRAY_LEN(network_fs); i++)
        if ((uint32_t)sb.f_type == network_fs[i].magic)
            return network_fs[i].name;
    return NULL;
}

const char *store_journal_note(const struct store *s)
{
    return s && s->journal_note[0] ? s->journal_note : NULL;
}

int store_writable(const char *path, char *err)
{
    char shown[512], dir[PATH_MAX], real[PATH_MAX], p[PATH_MAX + 64];
    path_show(path, shown, sizeof(shown));
    bool exists = realpath(path, real) != NULL;
    if (exists) {
        int fd = open(real, O_RDWR | O_CLOEXEC);
        if (fd < 0)
            return set_err(err, "cannot write database '%s': %s", shown, strerror(errno));
        close(fd);
        /* SQLite makes -wal and -shm beside it unless they are there */
        struct stat sb;
        snprintf(p, sizeof(p), "%s-wal", real);
        bool have = stat(p, &sb) == 0;
        snprintf(p, sizeof(p), "%s-shm", real);
        if (have && stat(p, &sb) == 0)
            return 0;
    }
    dir_of(exists ? real : path, dir, sizeof(dir));
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        char d[PATH_MAX];
        path_show(dir, d, sizeof(d));
        return set_err(err, "cannot create database '%s': no directory '%s'", shown, d);
    }
    /* a file made and removed there: the one test that sees read-only mounts, modes and
     * root alike (access() passes root through a chmod'd directory) */
    static unsigned counter;
    snprintf(p, sizeof(p), "%s/.quantbench-probe-%ld-%u", dir, (long)getpid(), counter++);
    int fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
        return set_err(err, "cannot %s database '%s': %s", exists ? "write" : "create", shown,
                       strerror(errno));
    if (fd >= 0) {
        close(fd);
        unlink(p);
    }
    return 0;
}

static struct store *open_memory(int target, char *err)
{
    struct store *s = xcalloc(1, sizeof(*s));
    snprintf(s->path, sizeof(s->path), ":memory:");
    s->busy_ms = store_busy_ms();
    enum store_fail why;
    if (connect(s, ":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, false, target, &why,
                err) < 0) {
        store_close(s);
        return NULL;
    }
    return s;
}

/* Read-only: the file itself when it is alone and current, else a private copy
 * (with its log, migrated when older) */
static int open_readonly(struct store *s, struct probe *p, int target, enum store_fail *why,
                         char *err)
{
    if (p->verdict == PROBE_OURS && !p->log && p->version >= target && !p->copy_dir[0]) {
        char *uri = uri_of(p->real);
        int ret = connect(s, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, false, target, why, err);
        free(uri);
        return ret;
    }
    if (!p->copy_dir[0]) {
        struct disk_state d;
        disk_state_read(p->real, &d);
        if (copy_make(p->real, &d, p->copy_dir, sizeof(p->copy_dir), err) != 0) {
            *why = STORE_FAIL_IO;
            return -1;
        }
    }
    snprintf(s->copy_dir, sizeof(s->copy_dir), "%s", p->copy_dir);
    p->copy_dir[0] = 0;
    char file[600];
    snprintf(file, sizeof(file), "%s/db", s->copy_dir);
    return connect(s, file, SQLITE_OPEN_READWRITE, true, target, why, err);
}

struct store *store_open_as(const char *path, int max_version, enum store_access access,
                            enum store_fail *why, char *err)
{
    enum store_fail why_none;
    if (!why)
        why = &why_none;
    *why = STORE_FAIL_IO;
    int target =
        max_version > 0 && max_version < STORE_SCHEMA_VERSION ? max_version : STORE_SCHEMA_VERSION;
    if (strcmp(path, ":memory:") == 0)
        return open_memory(target, err);
    struct store *s = xcalloc(1, sizeof(*s));
    path_show(path, s->path, sizeof(s->path));
    s->busy_ms = store_busy_ms();
    struct probe p;
    memset(&p, 0, sizeof(p));
    struct stat sb;
    if (access != STORE_SNAPSHOT && stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
        open_has(sb.st_dev, sb.st_ino)) {
        int flags = access == STORE_WRITE ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
        if (connect(s, path, flags, access == STORE_WRITE, target, why, err) < 0)
            goto fail;
        open_add(s, path);
        return s;
    }
    bool in_place = false;
    for (int tries = 0;; tries++) {
        if (probe_path(path, s->path, access != STORE_WRITE, access == STORE_SNAPSHOT, s->busy_ms,
                       &p, err) < 0) {
            *why = p.verdict == PROBE_REFUSED ? STORE_FAIL_REFUSED
                   : p.verdict == PROBE_BUSY  ? STORE_FAIL_BUSY
                                              : STORE_FAIL_IO;
            goto fail;
        }
        if (p.verdict != PROBE_ABSENT)
            break;
        if (access != STORE_WRITE) {
            set_err(err, "no results database at '%s'", s->path);
            goto fail;
        }
        if (tries == 3) {
            set_err(err, "cannot create database '%s': it keeps disappearing", s->path);
            goto fail;
        }
        if (store_writable(path, err) < 0)
            goto fail;
        int rc = create_whole(path, s->path, target, err);
        if (rc < 0)
            goto fail;
        if (rc > 0) {
            in_place = true;
            break;
        }
    }
    if (access == STORE_SNAPSHOT) {
        if (p.verdict == PROBE_EMPTY) {
            *why = STORE_FAIL_REFUSED;
            set_err(err, "database '%s' is an empty file, not a quantbench database", s->path);
            goto fail;
        }
        if (open_readonly(s, &p, target, why, err) < 0)
            goto fail;
        return s;
    }
    char werr[QB_ERR_LEN];
    if (store_writable(path, werr) < 0) {
        if (access == STORE_WRITE) {
            set_err(err, "%s", werr);
            goto fail;
        }
        if (open_readonly(s, &p, target, why, err) < 0)
            goto fail;
        return s;
    }
    copy_remove(p.copy_dir);
    int flags = SQLITE_OPEN_READWRITE;
    if (in_place || p.verdict == PROBE_EMPTY)
        flags |= SQLITE_OPEN_CREATE;
    if (connect(s, path, flags, true, target, why, err) < 0)
        goto fail;
    open_add(s, path);
    return s;
fail:
    copy_remove(p.copy_dir);
    store_close(s);
    return NULL;
}

struct store *store_open(const char *path, int max_version, char *err)
{
    return store_open_as(path, max_version, STORE_WRITE, NULL, err);
}

void store_close(struct store *s)
{
    if (!s)
        return;
    if (s->in_place)
        open_remove(s);
    sqlite3_close(s->db);
    copy_remove(s->copy_dir);
    free(s);
}

const char *store_path(const struct store *s)
{
    return s->path;
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

/* A text column, "" for NULL (a schema edited by hand may allow one anywhere) */
static const char *ctext(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
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

/* A statement's failure inside a write: -1 with err, the statement finalized */
static int step_done(struct store *s, sqlite3_stmt *st, const char *what, char *err)
{
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? 0 : db_err(s, err, what);
    sqlite3_finalize(st);
    return ret;
}

/* 32 hex digits of the kernel's randomness (a run's uid); the time, pid and a counter
 * hashed when there is none */
static void run_uid_new(char out[33])
{
    uint8_t b[32];
    if (getrandom(b, 16, GRND_NONBLOCK) != 16) {
        static unsigned counter;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        char text[96];
        snprintf(text, sizeof(text), "%lld.%09ld|%ld|%u", (long long)ts.tv_sec, ts.tv_nsec,
                 (long)getpid(), counter++);
        struct sha256 c;
        sha256_init(&c);
        sha256_update(&c, text, strlen(text));
        sha256_final(&c, b);
    }
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

struct run_begin_arg {
    const char *command, *argv_json, *label, *imported_from;
    int64_t run_id;
};

static int run_begin_body(struct store *s, void *arg, char *err)
{
    struct run_begin_arg *a = arg;
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
    bind_text(st, 1, a->label);
    sqlite3_bind_text(st, 2, a->command, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, a->argv_json ? a->argv_json : "[]", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, hid);
    bind_text(st, 6, a->imported_from);
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? 0 : db_err(s, err, "cannot start a run");
    sqlite3_finalize(st);
    a->run_id = sqlite3_last_insert_rowid(s->db);
    if (ret < 0)
        return -1;
    /* the run's identity wherever it is merged to (meta: no schema change) */
    char uid[33];
    run_uid_new(uid);
    if (sqlite3_prepare_v2(s->db, "INSERT INTO meta(key, value) VALUES('run_uid:' || ?1, ?2)", -1,
                           &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the run's uid");
    sqlite3_bind_int64(st, 1, a->run_id);
    sqlite3_bind_text(st, 2, uid, -1, SQLITE_TRANSIENT);
    return step_done(s, st, "cannot store the run's uid", err);
}

int store_run_begin(struct store *s, const char *command, const char *argv_json, const char *label,
                    const char *imported_from, int64_t *run_id, char *err)
{
    struct run_begin_arg a = {command, argv_json, label, imported_from, 0};
    if (write_tx(s, run_begin_body, &a, err) < 0)
        return -1;
    *run_id = a.run_id;
    return 0;
}

struct run_end_arg {
    int64_t run_id;
    const char *status, *reason;
};

static int run_end_body(struct store *s, void *arg, char *err)
{
    struct run_end_arg *a = arg;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE runs SET ended = ?1, status = ?2, reason = ?3 WHERE id = ?4", -1,
                           &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the run end");
    char now[32];
    now_rfc3339(now, sizeof(now));
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, a->status, -1, SQLITE_TRANSIENT);
    bind_text(st, 3, a->reason);
    sqlite3_bind_int64(st, 4, a->run_id);
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? 0 : db_err(s, err, "cannot end the run");
    sqlite3_finalize(st);
    return ret;
}

int store_run_end_why(struct store *s, int64_t run_id, const char *status, const char *reason,
                      char *err)
{
    struct run_end_arg a = {run_id, status, reason};
    return write_tx(s, run_end_body, &a, err);
}

int store_run_end(struct store *s, int64_t run_id, const char *status, char *err)
{
    return store_run_end_why(s, run_id, status, NULL, err);
}

/* ---------------------------------------------------------------- results */

/* Fields that are settings of a test (what rows are matched on and filtered by), in
 * every kind, with llama-bench's (or batched-bench's, mem's) short flag and long name, in
 * the order of a row's stored settings text (rows are matched on that text, so a setting
 * keeps its place). A setting of the settings table (record/fields.c) is named here by
 * its field alone and takes its flags from the table; one of the table's row settings not
 * named here comes last. */
static const struct store_setting settings_order[] = {
    {"n_prompt", "p", "n_prompt"},
    {"n_gen", "n", "n_gen"},
    {"n_depth", "d", "n_depth"},
    {"pp", "npp", NULL},
    {"tg", "ntg", NULL},
    {"pl", "npl", NULL},
    {"n_kv", NULL, NULL},
    {"is_pp_shared", "pps", NULL},
    {"n_kv_max", NULL, NULL},
    {"n_ctx", NULL, NULL},
    {"n_batch", NULL, NULL},
    {"n_ubatch", NULL, NULL},
    {"n_seq", "np", "parallel"},
    {"n_threads", NULL, NULL},
    {"n_threads_batch", "tb", "threads_batch"},
    {"cpu_mask", NULL, NULL},
    {"cpu_strict", NULL, NULL},
    {"poll", NULL, NULL},
    {"type_k", NULL, NULL},
    {"type_v", NULL, NULL},
    {"n_gpu_layers", NULL, NULL},
    {"n_cpu_moe", NULL, NULL},
    {"split_mode", NULL, NULL},
    {"main_gpu", NULL, NULL},
    {"no_kv_offload", NULL, NULL},
    {"flash_attn", NULL, NULL},
    {"devices", NULL, NULL},
    {"tensor_split", NULL, NULL},
    {"tensor_buft_overrides", NULL, NULL},
    {"use_mmap", "mmp", "mmap"}, /* the table's flag is -lm, bench's load_mode */
    {"load_mode", "lm", NULL},
    {"embeddings", "embd", NULL},
    {"no_op_offload", "nopo", NULL},
    {"text", NULL, NULL},
    {"n_parallel", NULL, NULL},
    {"kv_unified", NULL, NULL},
    /* load's (vllm bench serve's flags) */
    {"endpoint", NULL, NULL},
    {"dataset", NULL, NULL},
    {"max_concurrency", NULL, NULL},
    {"request_rate", NULL, NULL},
    {"burstiness", NULL, NULL},
    {"ramp_up_strategy", NULL, NULL},
    {"random_input_len", NULL, NULL},
    {"random_output_len", NULL, NULL},
    {"random_range_ratio", NULL, NULL},
    {"random_prefix_len", NULL, NULL},
    {"cache_bust", NULL, NULL},
    {"num_prompts", NULL, NULL},
};

/* "-ngl" -> "ngl", "--ctx-size" -> "ctx_size" into buf */
static const char *filter_name(const char *flag, char *buf, size_t n)
{
    if (!flag)
        return NULL;
    size_t k = 0;
    for (flag += strspn(flag, "-"); *flag && k + 1 < n; flag++)
        buf[k++] = *flag == '-' ? '_' : *flag;
    buf[k] = '\0';
    return buf;
}

const struct store_setting *store_settings(void)
{
    enum { N_ORDER = QB_ARRAY_LEN(settings_order), MAX = N_ORDER + 64 };
    static struct store_setting all[MAX + 1];
    static char names[MAX][2][32];
    static bool built;
    if (built)
        return all;
    size_t n = 0;
    for (size_t i = 0; i < N_ORDER + fields_n_settings && n < MAX; i++) {
        const struct field *f = NULL;
        struct store_setting e;
        if (i < N_ORDER) {
            e = settings_order[i];
            if (!e.flag && !e.name)
                f = field_by_key(fields_settings, fields_n_settings, e.field);
        } else {
            f = &fields_settings[i - N_ORDER];
            bool listed = false;
            for (size_t k = 0; k < N_ORDER; k++)
                listed |= !strcmp(settings_order[k].field, f->key);
            if (listed || !(f->use & FIELD_USE_ROW))
                continue;
            e.field = f->key;
        }
        if (f) {
            e.flag = filter_name(f->flag, names[n][0], sizeof(names[n][0]));
            e.name = filter_name(f->lflag, names[n][1], sizeof(names[n][1]));
        }
        all[n++] = e;
    }
    all[n].field = NULL;
    built = true;
    return all;
}

/* Settings of a row as JSON text (the caller frees) */
static char *row_settings(const cJSON *row)
{
    cJSON *o = cJSON_CreateObject();
    for (const struct store_setting *k = store_settings(); k->field; k++) {
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

struct add_result_arg {
    int64_t run_id;
    const char *kind;
    const cJSON *row;
    int line;
    int64_t cell_id; /* the suite cell it belongs to, 0 for none */
};

/* Insert one result row (inside a transaction: store_add_result's own, or
 * store_add_cell's with the cell's rows) */
static int add_result_body(struct store *s, void *arg, char *err)
{
    const struct add_result_arg *a = arg;
    int64_t run_id = a->run_id;
    const char *kind = a->kind;
    const cJSON *row = a->row;
    int line = a->line;
    if (!kind || !kind[0]) {
        s->code = 0;
        return set_err(err, "database '%s': a result row has no kind", s->path);
    }
    if (!cJSON_IsObject(row)) {
        s->code = 0;
        return set_err(err, "database '%s': a %s result row is not a JSON object", s->path, kind);
    }
    static const char *const
        k_prompt[] = {"n_prompt", "pp", NULL},
        *const k_gen[] = {"n_gen", "tg", NULL}, *const k_depth[] = {"n_depth", "n_kv", NULL},
        *const k_batch[] = {"n_batch", NULL}, *const k_ubatch[] = {"n_ubatch", NULL},
        *const k_threads[] = {"n_threads", NULL}, *const k_ngl[] = {"n_gpu_layers", NULL},
        *const k_pl[] = {"pl", "n_parallel", NULL}, *const k_avg[] = {"avg_ts", "speed", NULL},
        *const k_sd[] = {"stddev_ts", "speed_sd", NULL};
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
                           "avg_ts, stddev_ts, n_samples, settings, row, created, source_line, "
                           "cell_id) "
                           "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
                           "?18,?19,?20,?21,?22,?23,?24,?25,?26,?27)",
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
    bind_id(st, 27, a->cell_id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        db_err(s, err, "cannot insert the result");
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    free(settings);
    free(text);
    return ret;
}

int store_add_result(struct store *s, int64_t run_id, const char *kind, const cJSON *row, int line,
                     char *err)
{
    struct add_result_arg a = {run_id, kind, row, line, 0};
    return write_tx(s, add_result_body, &a, err);
}

/* ---------------------------------------------------------------- suites */

/* Wall-clock time, unix seconds (events; cells bring their own) */
static double unix_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether text is a JSON object (a plan's or cell's settings, a suite) */
static bool json_object_text(const char *text)
{
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    bool ok = cJSON_IsObject(j);
    cJSON_Delete(j);
    return ok;
}

struct add_plan_arg {
    int64_t run_id;
    const char *suite_json;
    const struct store_plan_cell *c;
    int n;
};

static int add_plan_body(struct store *s, void *arg, char *err)
{
    const struct add_plan_arg *a = arg;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO suites(run_id, suite) VALUES(?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the suite");
    sqlite3_bind_int64(st, 1, a->run_id);
    sqlite3_bind_text(st, 2, a->suite_json, -1, SQLITE_TRANSIENT);
    if (step_done(s, st, "cannot store the suite", err) < 0)
        return -1;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO suite_plan(run_id, idx, key, grp, model, test, settings) "
                           "VALUES(?1,?2,?3,?4,?5,?6,?7)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the plan");
    for (int i = 0; i < a->n; i++) {
        const struct store_plan_cell *c = &a->c[i];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, a->run_id);
        sqlite3_bind_int(st, 2, c->idx);
        sqlite3_bind_text(st, 3, c->key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, c->group, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, c->model, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 6, c->test, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 7, c->settings, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE) {
            char what[64];
            snprintf(what, sizeof(what), "cannot store plan cell %d", c->idx);
            db_err(s, err, what);
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

int store_add_plan(struct store *s, int64_t run_id, const char *suite_json,
                   const struct store_plan_cell *c, int n, char *err)
{
    if (!json_object_text(suite_json))
        return set_err(err, "database '%s': run %lld: the suite is not a JSON object", s->path,
                       (long long)run_id);
    for (int i = 0; i < n; i++) {
        if (!c[i].key || !c[i].group || !c[i].model || !c[i].test)
            return set_err(err,
                           "database '%s': run %lld: plan cell %d lacks its key, group, "
                           "model or test",
                           s->path, (long long)run_id, c[i].idx);
        if (!json_object_text(c[i].settings))
            return set_err(err,
                           "database '%s': run %lld: plan cell %d: settings are not a JSON object",
                           s->path, (long long)run_id, c[i].idx);
    }
    struct add_plan_arg a = {run_id, suite_json, c, n};
    return write_tx(s, add_plan_body, &a, err);
}

/* The statuses a cell may end with (store.h) */
static bool cell_status_known(const char *st)
{
    static const char *const known[] = {"ok",          "crashed", "oom",        "timeout",
                                        "load_failed", "error",   "interrupted"};
    for (size_t i = 0; st && i < QB_ARRAY_LEN(known); i++)
        if (strcmp(st, known[i]) == 0)
            return true;
    return false;
}

struct add_cell_arg {
    int64_t run_id;
    const struct store_cell *c;
    const char *const *kinds;
    const cJSON *const *rows;
    int n;
    int64_t cell_id;
};

static int add_cell_body(struct store *s, void *arg, char *err)
{
    struct add_cell_arg *a = arg;
    const struct store_cell *c = a->c;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO cells(key, run_id, model, test, settings, status, reason, "
                           "stderr_tail, started, ended) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the cell");
    sqlite3_bind_text(st, 1, c->key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, a->run_id);
    sqlite3_bind_text(st, 3, c->model, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, c->test, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, c->settings, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, c->status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, c->reason ? c->reason : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, c->stderr_tail ? c->stderr_tail : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 9, c->started);
    sqlite3_bind_double(st, 10, c->ended);
    if (step_done(s, st, "cannot store the cell", err) < 0)
        return -1;
    a->cell_id = sqlite3_last_insert_rowid(s->db);
    for (int i = 0; i < a->n; i++) {
        struct add_result_arg r = {a->run_id, a->kinds[i], a->rows[i], 0, a->cell_id};
        if (add_result_body(s, &r, err) < 0)
            return -1;
    }
    return 0;
}

int store_add_cell(struct store *s, int64_t run_id, const struct store_cell *c,
                   const char *const *kinds, const cJSON *const *rows, int n, int64_t *cell_id,
                   char *err)
{
    if (!c->key || !c->model || !c->test)
        return set_err(err, "database '%s': run %lld: a cell lacks its key, model or test", s->path,
                       (long long)run_id);
    if (!json_object_text(c->settings))
        return set_err(err, "database '%s': cell %s: settings are not a JSON object", s->path,
                       c->key);
    if (!cell_status_known(c->status))
        return set_err(err, "database '%s': cell %s: unknown status '%s'", s->path, c->key,
                       c->status ? c->status : "(none)");
    struct add_cell_arg a = {run_id, c, kinds, rows, n, 0};
    if (write_tx(s, add_cell_body, &a, err) < 0)
        return -1;
    if (cell_id)
        *cell_id = a.cell_id;
    return 0;
}

int store_find_cell(struct store *s, const char *key, char *status, size_t n, double *duration_s,
                    char *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT status, ended - started FROM cells WHERE key = ?1 "
                           "ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the cell lookup");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW) {
        if (status && n > 0)
            snprintf(status, n, "%s", (const char *)sqlite3_column_text(st, 0));
        if (duration_s)
            *duration_s = sqlite3_column_double(st, 1);
        ret = 1;
    } else if (rc != SQLITE_DONE) {
        ret = db_err(s, err, "cell lookup failed");
    }
    sqlite3_finalize(st);
    return ret;
}

struct add_event_arg {
    int64_t run_id;
    int cell;
    const char *kind, *payload;
    double time;
};

static int add_event_body(struct store *s, void *arg, char *err)
{
    const struct add_event_arg *a = arg;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO events(run_id, cell, kind, payload, time) "
                           "VALUES(?1,?2,?3,?4,?5)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the event");
    sqlite3_bind_int64(st, 1, a->run_id);
    if (a->cell >= 0)
        sqlite3_bind_int(st, 2, a->cell);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_text(st, 3, a->kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, a->payload, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 5, a->time);
    return step_done(s, st, "cannot store the event", err);
}

int store_add_event(struct store *s, int64_t run_id, int cell, const char *kind,
                    const cJSON *payload, char *err)
{
    if (!kind || !kind[0])
        return set_err(err, "database '%s': run %lld: an event has no kind", s->path,
                       (long long)run_id);
    if (payload && !cJSON_IsObject(payload))
        return set_err(err, "database '%s': run %lld: event '%s': the payload is not an object",
                       s->path, (long long)run_id, kind);
    char *text = payload ? cJSON_PrintUnformatted(payload) : xstrdup("{}");
    struct add_event_arg a = {run_id, cell, kind, text, unix_now()};
    int ret = write_tx(s, add_event_body, &a, err);
    free(text);
    return ret;
}

/* A parsed JSON text, or an empty object when it is none */
static cJSON *json_or_empty(const unsigned char *text)
{
    cJSON *j = text ? cJSON_Parse((const char *)text) : NULL;
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        j = cJSON_CreateObject();
    }
    return j;
}

int store_events(struct store *s, int64_t run_id, int64_t after_id, cJSON **events, char *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, run_id, cell, kind, payload, time FROM events "
                           "WHERE (?1 = 0 OR run_id = ?1) AND id > ?2 ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the events");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, after_id);
    cJSON *arr = cJSON_CreateArray();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0));
        cJSON_AddNumberToObject(o, "run_id", (double)sqlite3_column_int64(st, 1));
        if (sqlite3_column_type(st, 2) == SQLITE_NULL)
            cJSON_AddNullToObject(o, "cell");
        else
            cJSON_AddNumberToObject(o, "cell", sqlite3_column_int(st, 2));
        cJSON_AddStringToObject(o, "kind", (const char *)sqlite3_column_text(st, 3));
        cJSON_AddItemToObject(o, "payload", json_or_empty(sqlite3_column_text(st, 4)));
        cJSON_AddNumberToObject(o, "time", sqlite3_column_double(st, 5));
        cJSON_AddItemToArray(arr, o);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(arr);
        return db_err(s, err, "event query failed");
    }
    *events = arr;
    return 0;
}

int store_suite_json(struct store *s, int64_t run_id, char **suite_json, char *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT suite FROM suites WHERE run_id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return db_err(s, err, "cannot prepare the suite lookup");
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW) {
        if (suite_json)
            *suite_json = xstrdup(ctext(st, 0));
        ret = 1;
    } else if (rc != SQLITE_DONE) {
        ret = db_err(s, err, "suite lookup failed");
    }
    sqlite3_finalize(st);
    return ret;
}

int64_t store_last_suite_run(struct store *s)
{
    int64_t id = 0;
    if (pragma_int(s->db, "SELECT coalesce(max(run_id), 0) FROM suites", &id) < 0)
        return 0;
    return id;
}

/* The rows of a stored cell, oldest first, as [{"kind", "row"}] into the cell object o */
static int cell_rows(struct store *s, sqlite3_stmt *st, int64_t cell_id, cJSON *o, char *err)
{
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, cell_id);
    cJSON *rows = cJSON_AddArrayToObject(o, "rows");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "kind", (const char *)sqlite3_column_text(st, 0));
        cJSON_AddItemToObject(r, "row", json_or_empty(sqlite3_column_text(st, 1)));
        cJSON_AddItemToArray(rows, r);
    }
    return rc == SQLITE_DONE ? 0 : db_err(s, err, "cell rows query failed");
}

int store_suite_cells(struct store *s, int64_t run_id, cJSON **cells, char *err)
{
    int is = store_suite_json(s, run_id, NULL, err);
    if (is <= 0)
        return is < 0 ? -1 : set_err(err, "run %lld is not a suite run", (long long)run_id);
    /* the newest cell of each key: the highest id (ids only grow) */
    static const char sql[] =
        "SELECT p.idx, p.key, p.grp, p.model, p.test, p.settings, c.id, c.status, c.reason, "
        "c.stderr_tail, c.ended - c.started, c.run_id FROM suite_plan p "
        "LEFT JOIN cells c ON c.id = (SELECT max(id) FROM cells WHERE key = p.key) "
        "WHERE p.run_id = ?1 ORDER BY p.idx";
    sqlite3_stmt *st = NULL, *rs = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT kind, row FROM results WHERE cell_id = ?1 ORDER BY id",
                           -1, &rs, NULL) != SQLITE_OK) {
        db_err(s, err, "cannot prepare the suite's cells");
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_bind_int64(st, 1, run_id);
    cJSON *arr = cJSON_CreateArray();
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddNumberToObject(o, "idx", sqlite3_column_int(st, 0));
        static const char *const names[] = {"key", "group", "model", "test"};
        for (int k = 0; k < 4; k++)
            cJSON_AddStringToObject(o, names[k], (const char *)sqlite3_column_text(st, 1 + k));
        cJSON_AddItemToObject(o, "settings", json_or_empty(sqlite3_column_text(st, 5)));
        bool stored = sqlite3_column_type(st, 6) != SQLITE_NULL;
        if (!stored) {
            cJSON_AddStringToObject(o, "status", "missing");
            cJSON_AddStringToObject(o, "reason", "");
            cJSON_AddStringToObject(o, "stderr_tail", "");
            cJSON_AddNullToObject(o, "duration_s");
            cJSON_AddNullToObject(o, "measured_in");
            cJSON_AddArrayToObject(o, "rows");
            continue;
        }
        static const char *const texts[] = {"status", "reason", "stderr_tail"};
        for (int k = 0; k < 3; k++)
            cJSON_AddStringToObject(o, texts[k], (const char *)sqlite3_column_text(st, 7 + k));
        cJSON_AddNumberToObject(o, "duration_s", sqlite3_column_double(st, 10));
        cJSON_AddNumberToObject(o, "measured_in", (double)sqlite3_column_int64(st, 11));
        if (cell_rows(s, rs, sqlite3_column_int64(st, 6), o, err) < 0) {
            ret = -1;
            break;
        }
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = db_err(s, err, "suite cells query failed");
    sqlite3_finalize(st);
    sqlite3_finalize(rs);
    if (ret < 0) {
        cJSON_Delete(arr);
        return -1;
    }
    *cells = arr;
    return 0;
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
    for (const struct store_setting *e = store_settings(); e->field; e++)
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
    if (s->in_tx)
        return set_err(err, "database '%s': a transaction is already open", s->path);
    if (end_stray_tx(s, err) < 0 || exec_retry(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    s->in_tx = true;
    return 0;
}

int store_commit(struct store *s, char *err)
{
    if (!s->in_tx)
        return set_err(err, "database '%s': no transaction to commit", s->path);
    uint64_t t0 = monotime_ns(), wait_ms = 5;
    deadline_start(s);
    int ret;
    for (;;) {
        ret = exec(s, "COMMIT", err);
        /* committed, or rolled back by SQLite itself (a full disk, an I/O error): a
         * COMMIT again would only say that no transaction is active */
        if (ret == 0 || sqlite3_get_autocommit(s->db))
            break;
        if (!retry_wait(s, &wait_ms))
            break;
    }
    s->in_write = false;
    if (sqlite3_get_autocommit(s->db))
        s->in_tx = false;
    if (ret < 0)
        note_tries(err, s->code, t0);
    return ret;
}

void store_rollback(struct store *s)
{
    if (!s)
        return;
    if (!sqlite3_get_autocommit(s->db))
        exec(s, "ROLLBACK", NULL);
    s->in_tx = false;
}

int store_tx(struct store *s, int (*fn)(struct store *, void *, char *), void *arg, char *err)
{
    if (s->in_tx)
        return set_err(err, "database '%s': a transaction is already open", s->path);
    return write_tx(s, fn, arg, err);
}

int store_set_query_only(struct store *s, char *err)
{
    return exec(s, "PRAGMA query_only = ON", err);
}

int store_test_exec(struct store *s, const char *sql, char *err)
{
    return exec(s, sql, err);
}

int store_list_runs(struct store *s, cJSON **runs, char *err)
{
    static const char sql[] =
        "SELECT u.id, u.label, u.command, u.argv, u.started, u.ended, u.status, u.imported_from, "
        "h.name, (SELECT count(*) FROM results r WHERE r.run_id = u.id), u.reason "
        "FROM runs u LEFT JOIN hosts h ON h.id = u.host_id ORDER BY u.id DESC";
    static const char *const names[] = {"id",      "label",     "command", "argv",
                                        "started", "ended",     "status",  "imported_from",
                                        "host",    "n_results", "reason"};
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

/* ---- claims: one measurer per cell ---- */

struct claim_arg {
    const char *key;
    int64_t run_id;
    char host[256];
    int pid;
    int got; /* 1 claimed, 0 held by another live run */
};

static int claim_body(struct store *s, void *arg, char *err)
{
    struct claim_arg *a = arg;
    sqlite3_stmt *st = NULL;
    a->got = 1;
    if (sqlite3_prepare_v2(s->db, "SELECT run_id, host, pid, time FROM claims WHERE key = ?1", -1,
                           &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the claim lookup");
    sqlite3_bind_text(st, 1, a->key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int64_t run = sqlite3_column_int64(st, 0);
        const char *host = (const char *)sqlite3_column_text(st, 1);
        int pid = sqlite3_column_int(st, 2);
        double age = unix_now() - sqlite3_column_double(st, 3);
        bool here = host && !strcmp(host, a->host);
        /* a claim stands while its process lives: on this host kill(pid, 0) says; from
         * another host (a shared file system) it is believed for a day */
        bool live = run != a->run_id &&
                    (here ? pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) : age < 86400);
        if (live)
            a->got = 0;
    } else if (rc != SQLITE_DONE) {
        sqlite3_finalize(st);
        return db_err(s, err, "claim lookup failed");
    }
    sqlite3_finalize(st);
    if (!a->got)
        return 0;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT OR REPLACE INTO claims(key, run_id, host, pid, time) "
                           "VALUES(?1,?2,?3,?4,?5)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the claim");
    sqlite3_bind_text(st, 1, a->key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, a->run_id);
    sqlite3_bind_text(st, 3, a->host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, a->pid);
    sqlite3_bind_double(st, 5, unix_now());
    return step_done(s, st, "cannot store the claim", err);
}

int store_claim_cell(struct store *s, const char *key, int64_t run_id, char *err)
{
    struct claim_arg a = {.key = key, .run_id = run_id, .pid = (int)getpid()};
    if (gethostname(a.host, sizeof(a.host)) < 0)
        snprintf(a.host, sizeof(a.host), "?");
    a.host[sizeof(a.host) - 1] = '\0';
    if (write_tx(s, claim_body, &a, err) < 0)
        return -1;
    return a.got;
}

struct unclaim_arg {
    const char *key;
    int64_t run_id;
};

static int unclaim_body(struct store *s, void *arg, char *err)
{
    const struct unclaim_arg *a = arg;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           a->key ? "DELETE FROM claims WHERE run_id = ?1 AND key = ?2"
                                  : "DELETE FROM claims WHERE run_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare the claim's end");
    sqlite3_bind_int64(st, 1, a->run_id);
    if (a->key)
        sqlite3_bind_text(st, 2, a->key, -1, SQLITE_TRANSIENT);
    return step_done(s, st, "cannot end the claim", err);
}

int store_release_claims(struct store *s, int64_t run_id, const char *key, char *err)
{
    struct unclaim_arg a = {key, run_id};
    return write_tx(s, unclaim_body, &a, err);
}

/* ---------------------------------------------------------------- merge */

/* One field of an identity hash: its text and a 0 byte (NULL as a byte 1 alone) */
static void hash_field(struct sha256 *c, const unsigned char *text)
{
    static const uint8_t zero = 0, null = 1;
    if (text)
        sha256_update(c, text, strlen((const char *)text));
    sha256_update(c, text ? &zero : &null, 1);
}

static void hash_hex(struct sha256 *c, char out[65])
{
    uint8_t d[32];
    sha256_final(c, d);
    sha256_hex(d, out);
}

/* The content of a stored cell: its key, status, reason, times and rows in order */
static int cell_hash(struct store *s, int64_t cell_id, char out[65], char *err)
{
    sqlite3_stmt *st = NULL;
    struct sha256 c;
    sha256_init(&c);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT key, status, reason, started, ended FROM cells WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare a cell's read");
    sqlite3_bind_int64(st, 1, cell_id);
    int rc = sqlite3_step(st);
    for (int i = 0; rc == SQLITE_ROW && i < 5; i++)
        hash_field(&c, sqlite3_column_text(st, i));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return db_err(s, err, "cannot read a cell");
    if (sqlite3_prepare_v2(s->db, "SELECT kind, row FROM results WHERE cell_id = ?1 ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare a cell's rows");
    sqlite3_bind_int64(st, 1, cell_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        hash_field(&c, sqlite3_column_text(st, 0));
        hash_field(&c, sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_err(s, err, "cannot read a cell's rows");
    hash_hex(&c, out);
    return 0;
}

/* A run's uid: the one stored when it began, else (a database from before uids) one of
 * what never changes once it began: command, argv, label, start, origin, host, its first
 * event's time and first row */
static int run_uid_of(struct store *s, int64_t run_id, char out[65], bool *stored, char *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'run_uid:' || ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare a run's uid");
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    *stored = rc == SQLITE_ROW;
    if (*stored)
        snprintf(out, 65, "%s", ctext(st, 0));
    sqlite3_finalize(st);
    if (*stored)
        return 0;
    if (rc != SQLITE_DONE)
        return db_err(s, err, "cannot read a run's uid");
    if (sqlite3_prepare_v2(s->db,
                           "SELECT u.command, u.argv, u.label, u.started, u.imported_from, "
                           "h.fingerprint, (SELECT min(time) FROM events WHERE run_id = u.id), "
                           "(SELECT row FROM results WHERE run_id = u.id ORDER BY id LIMIT 1) "
                           "FROM runs u LEFT JOIN hosts h ON h.id = u.host_id WHERE u.id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare a run's read");
    sqlite3_bind_int64(st, 1, run_id);
    rc = sqlite3_step(st);
    struct sha256 c;
    sha256_init(&c);
    hash_field(&c, (const unsigned char *)"run v4");
    for (int i = 0; rc == SQLITE_ROW && i < 8; i++)
        hash_field(&c, sqlite3_column_text(st, i));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return db_err(s, err, "cannot read a run");
    hash_hex(&c, out);
    out[32] = 0; /* as long as a stored one */
    return 0;
}

struct merge {
    struct store *dst, *src;
    const char *name;
    struct store_merge_count *n;
    cJSON *conflicts;
    struct strmap runs; /* uid -> dst's run id */
    struct strmap refs; /* "table:src id" -> dst id (hosts, builds, models) */
    int64_t snap_cell;  /* dst's highest cell id before this file */
};

static int src_err(struct merge *m, char *err, const char *what)
{
    return db_err(m->src, err, what);
}

/* The row of table that src's id names, in dst (inserted when missing, by its key
 * column): *out its dst id, 0 for a NULL id */
static int merge_ref(struct merge *m, const char *table, const char *key_col, const char *cols,
                     int ncols, sqlite3_stmt *from, int col, int64_t *out, char *err)
{
    *out = 0;
    if (sqlite3_column_type(from, col) == SQLITE_NULL)
        return 0;
    int64_t id = sqlite3_column_int64(from, col);
    char ck[64];
    snprintf(ck, sizeof(ck), "%s:%lld", table, (long long)id);
    int have = strmap_get(&m->refs, ck);
    if (have >= 0) {
        *out = have;
        return 0;
    }
    char sql[512];
    sqlite3_stmt *rd = NULL, *wr = NULL;
    snprintf(sql, sizeof(sql), "SELECT %s, %s FROM %s WHERE id = ?1", key_col, cols, table);
    if (sqlite3_prepare_v2(m->src->db, sql, -1, &rd, NULL) != SQLITE_OK)
        return src_err(m, err, "cannot prepare a read");
    sqlite3_bind_int64(rd, 1, id);
    int rc = sqlite3_step(rd);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(rd);
        return rc == SQLITE_DONE ? 0 : src_err(m, err, "cannot read a reference");
    }
    /* the key and ncols columns: ncols + 1 marks (the callers' tables have at most 7) */
    static const char marks[] = "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?";
    if (ncols < 0 || 2 * ncols + 1 > (int)sizeof(marks) - 1) {
        sqlite3_finalize(rd);
        return src_err(m, err, "too many columns in a reference");
    }
    snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO %s(%s, %s) VALUES(%.*s)", table, key_col,
             cols, 2 * ncols + 1, marks);
    int ret = -1;
    if (sqlite3_prepare_v2(m->dst->db, sql, -1, &wr, NULL) != SQLITE_OK) {
        db_err(m->dst, err, "cannot prepare an insert");
        goto out;
    }
    for (int i = 0; i <= ncols; i++)
        sqlite3_bind_value(wr, i + 1, sqlite3_column_value(rd, i));
    if (sqlite3_step(wr) != SQLITE_DONE) {
        db_err(m->dst, err, "cannot insert a reference");
        goto out;
    }
    sqlite3_finalize(wr);
    snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE %s = ?1", table, key_col);
    if (sqlite3_prepare_v2(m->dst->db, sql, -1, &wr, NULL) != SQLITE_OK) {
        wr = NULL;
        db_err(m->dst, err, "cannot prepare a lookup");
        goto out;
    }
    sqlite3_bind_value(wr, 1, sqlite3_column_value(rd, 0));
    if (sqlite3_step(wr) != SQLITE_ROW) {
        db_err(m->dst, err, "lookup failed");
        goto out;
    }
    *out = sqlite3_column_int64(wr, 0);
    strmap_put(&m->refs, ck, (int)*out);
    ret = 0;
out:
    sqlite3_finalize(rd);
    sqlite3_finalize(wr);
    return ret;
}

#define HOST_COLS "name, cpu_info, cpu_flags, cores, ram_bytes, os, gpu_info"
#define BUILD_COLS                                                                                 \
    "llama_version, llama_commit, llama_build_number, backends, system_info, "                     \
    "quantbench_version"
#define MODEL_COLS "path, size_bytes, model_type, n_params, file_type"
/* a result's columns but its ids; 2, 3, 4 are the model, build and host */
#define RESULT_COLS                                                                                \
    "kind, test, model_id, build_id, host_id, status, reason, n_prompt, n_gen, n_depth, "          \
    "n_batch, n_ubatch, n_threads, n_gpu_layers, type_k, type_v, flash_attn, n_parallel, "         \
    "avg_ts, stddev_ts, n_samples, settings, row, created, source_line"
#define RESULT_NCOLS 25

/* The result row rd stands on (RESULT_COLS first) into dst's run (and cell, 0 none) */
static int merge_result(struct merge *m, sqlite3_stmt *rd, int64_t run, int64_t cell, char *err)
{
    int64_t model = 0, build = 0, host = 0;
    if (merge_ref(m, "models", "quick_id", MODEL_COLS, 5, rd, 2, &model, err) < 0 ||
        merge_ref(m, "builds", "fingerprint", BUILD_COLS, 6, rd, 3, &build, err) < 0 ||
        merge_ref(m, "hosts", "fingerprint", HOST_COLS, 7, rd, 4, &host, err) < 0)
        return -1;
    sqlite3_stmt *wr = NULL;
    if (sqlite3_prepare_v2(m->dst->db,
                           "INSERT INTO results(run_id, cell_id, " RESULT_COLS
                           ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
                           "?18,?19,?20,?21,?22,?23,?24,?25,?26,?27)",
                           -1, &wr, NULL) != SQLITE_OK)
        return db_err(m->dst, err, "cannot prepare a result");
    sqlite3_bind_int64(wr, 1, run);
    bind_id(wr, 2, cell);
    for (int i = 0; i < RESULT_NCOLS; i++)
        sqlite3_bind_value(wr, i + 3, sqlite3_column_value(rd, i));
    bind_id(wr, 5, model);
    bind_id(wr, 6, build);
    bind_id(wr, 7, host);
    if (step_done(m->dst, wr, "cannot insert a result", err) < 0)
        return -1;
    m->n->rows_added++;
    return 0;
}

/* A note of where a dst run came from: its file, or dst itself */
static void run_origin(struct merge *m, int64_t run, char *out, size_t n)
{
    sqlite3_stmt *st = NULL;
    snprintf(out, n, "run %lld of %s", (long long)run, m->dst->path);
    if (sqlite3_prepare_v2(m->dst->db, "SELECT value FROM meta WHERE key = 'run_from:' || ?1", -1,
                           &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, run);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, n, "%s", ctext(st, 0));
    sqlite3_finalize(st);
}

/* The cells of src's run into dst's run */
static int merge_cells(struct merge *m, int64_t src_run, int64_t dst_run, char *err)
{
    sqlite3_stmt *cs = NULL, *same = NULL, *rows = NULL;
    int ret = -1;
    if (sqlite3_prepare_v2(m->src->db,
                           "SELECT id, key, model, test, settings, status, reason, stderr_tail, "
                           "started, ended FROM cells WHERE run_id = ?1 ORDER BY id",
                           -1, &cs, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->src->db,
                           "SELECT " RESULT_COLS " FROM results WHERE cell_id = ?1 ORDER BY id", -1,
                           &rows, NULL) != SQLITE_OK) {
        src_err(m, err, "cannot prepare the cells' read");
        goto out;
    }
    if (sqlite3_prepare_v2(m->dst->db,
                           "SELECT id, status, run_id FROM cells WHERE key = ?1 ORDER BY id", -1,
                           &same, NULL) != SQLITE_OK) {
        db_err(m->dst, err, "cannot prepare the cells' lookup");
        goto out;
    }
    sqlite3_bind_int64(cs, 1, src_run);
    int rc;
    while ((rc = sqlite3_step(cs)) == SQLITE_ROW) {
        if (sig_caught()) {
            set_err(err, "interrupted");
            goto out;
        }
        int64_t src_cell = sqlite3_column_int64(cs, 0);
        const char *key = ctext(cs, 1);
        bool ok = strcmp(ctext(cs, 5), "ok") == 0;
        char h[65], hd[65];
        if (cell_hash(m->src, src_cell, h, err) < 0)
            goto out;
        /* dst's cells of this key: the same one, or a finished one from before this file */
        sqlite3_reset(same);
        sqlite3_bind_text(same, 1, key, -1, SQLITE_TRANSIENT);
        bool found = false;
        int64_t kept = 0, kept_run = 0;
        while (!found && sqlite3_step(same) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(same, 0);
            if (cell_hash(m->dst, id, hd, err) < 0)
                goto out;
            found = strcmp(h, hd) == 0;
            if (!kept && id <= m->snap_cell && strcmp(ctext(same, 1), "ok") == 0) {
                kept = id;
                kept_run = sqlite3_column_int64(same, 2);
            }
        }
        sqlite3_reset(same);
        if (found) {
            m->n->cells_same++;
            sqlite3_reset(rows);
            sqlite3_bind_int64(rows, 1, src_cell);
            while ((rc = sqlite3_step(rows)) == SQLITE_ROW)
                m->n->rows_same++;
            continue;
        }
        if (kept && ok) {
            char from[600];
            run_origin(m, kept_run, from, sizeof(from));
            char *line =
                xasprintf("conflict: cell %s (%s of %s): %s run %lld has other results "
                          "than the one kept (from %s); not merged",
                          key, ctext(cs, 3), ctext(cs, 2), m->name, (long long)src_run, from);
            cJSON_AddItemToArray(m->conflicts, cJSON_CreateString(line));
            free(line);
            m->n->conflicts++;
            continue;
        }
        if (kept) {
            m->n->cells_superseded++;
            continue;
        }
        sqlite3_stmt *wr = NULL;
        if (sqlite3_prepare_v2(m->dst->db,
                               "INSERT INTO cells(key, run_id, model, test, settings, status, "
                               "reason, stderr_tail, started, ended) "
                               "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                               -1, &wr, NULL) != SQLITE_OK) {
            db_err(m->dst, err, "cannot prepare a cell");
            goto out;
        }
        /* the cell's columns but its run: key, then model .. ended after the run */
        sqlite3_bind_value(wr, 1, sqlite3_column_value(cs, 1));
        sqlite3_bind_int64(wr, 2, dst_run);
        for (int i = 2; i < 10; i++)
            sqlite3_bind_value(wr, i + 1, sqlite3_column_value(cs, i));
        if (step_done(m->dst, wr, "cannot insert a cell", err) < 0)
            goto out;
        int64_t dst_cell = sqlite3_last_insert_rowid(m->dst->db);
        m->n->cells_added++;
        sqlite3_reset(rows);
        sqlite3_bind_int64(rows, 1, src_cell);
        while ((rc = sqlite3_step(rows)) == SQLITE_ROW)
            if (merge_result(m, rows, dst_run, dst_cell, err) < 0)
                goto out;
        if (rc != SQLITE_DONE) {
            src_err(m, err, "cannot read a cell's rows");
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        src_err(m, err, "cannot read the cells");
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(cs);
    sqlite3_finalize(same);
    sqlite3_finalize(rows);
    return ret;
}

/* The rows of src's run outside cells into dst's run, as a multiset of (kind, line, row) */
static int merge_plain_rows(struct merge *m, int64_t src_run, int64_t dst_run, char *err)
{
    struct strmap have, seen;
    strmap_init(&have);
    strmap_init(&seen);
    sqlite3_stmt *st = NULL;
    int ret = -1, rc;
    if (sqlite3_prepare_v2(m->dst->db,
                           "SELECT kind, source_line, row FROM results WHERE run_id = ?1 AND "
                           "cell_id IS NULL",
                           -1, &st, NULL) != SQLITE_OK) {
        db_err(m->dst, err, "cannot prepare the rows' read");
        goto out;
    }
    sqlite3_bind_int64(st, 1, dst_run);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sha256 c;
        char h[65];
        sha256_init(&c);
        for (int i = 0; i < 3; i++)
            hash_field(&c, sqlite3_column_text(st, i));
        hash_hex(&c, h);
        int k = strmap_get(&have, h);
        strmap_put(&have, h, k < 0 ? 1 : k + 1);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE) {
        db_err(m->dst, err, "cannot read the rows");
        goto out;
    }
    if (sqlite3_prepare_v2(m->src->db,
                           "SELECT " RESULT_COLS " FROM results WHERE run_id = ?1 AND cell_id IS "
                           "NULL ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        src_err(m, err, "cannot prepare the rows' read");
        goto out;
    }
    sqlite3_bind_int64(st, 1, src_run);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sig_caught()) {
            set_err(err, "interrupted");
            goto out;
        }
        struct sha256 c;
        char h[65];
        sha256_init(&c);
        hash_field(&c, sqlite3_column_text(st, 0));  /* kind */
        hash_field(&c, sqlite3_column_text(st, 24)); /* source_line */
        hash_field(&c, sqlite3_column_text(st, 22)); /* row */
        hash_hex(&c, h);
        int k = strmap_get(&seen, h), n_have = strmap_get(&have, h);
        k = k < 0 ? 0 : k;
        strmap_put(&seen, h, k + 1);
        if (k < n_have) {
            m->n->rows_same++;
            continue;
        }
        if (merge_result(m, st, dst_run, 0, err) < 0)
            goto out;
    }
    if (rc != SQLITE_DONE) {
        src_err(m, err, "cannot read the rows");
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    strmap_release(&have);
    strmap_release(&seen);
    return ret;
}

/* src's events of a run that dst's run lacks (same cell, kind, payload and time) */
static int merge_events(struct merge *m, int64_t src_run, int64_t dst_run, char *err)
{
    sqlite3_stmt *rd = NULL, *has = NULL, *wr = NULL;
    int ret = -1, rc;
    if (sqlite3_prepare_v2(m->src->db,
                           "SELECT cell, kind, payload, time FROM events WHERE run_id = ?1 ORDER "
                           "BY id",
                           -1, &rd, NULL) != SQLITE_OK) {
        src_err(m, err, "cannot prepare the events' read");
        goto out;
    }
    if (sqlite3_prepare_v2(m->dst->db,
                           "SELECT 1 FROM events WHERE run_id = ?1 AND cell IS ?2 AND kind = ?3 "
                           "AND payload = ?4 AND time = ?5",
                           -1, &has, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->dst->db,
                           "INSERT INTO events(run_id, cell, kind, payload, time) "
                           "VALUES(?1,?2,?3,?4,?5)",
                           -1, &wr, NULL) != SQLITE_OK) {
        db_err(m->dst, err, "cannot prepare the events' merge");
        goto out;
    }
    sqlite3_bind_int64(rd, 1, src_run);
    while ((rc = sqlite3_step(rd)) == SQLITE_ROW) {
        sqlite3_stmt *both[2] = {has, wr};
        for (int k = 0; k < 2; k++) {
            sqlite3_reset(both[k]);
            sqlite3_bind_int64(both[k], 1, dst_run);
            for (int i = 0; i < 4; i++)
                sqlite3_bind_value(both[k], i + 2, sqlite3_column_value(rd, i));
        }
        int hr = sqlite3_step(has);
        if (hr == SQLITE_ROW)
            continue;
        if (hr != SQLITE_DONE || sqlite3_step(wr) != SQLITE_DONE) {
            db_err(m->dst, err, "cannot merge an event");
            goto out;
        }
        m->n->events_added++;
    }
    if (rc != SQLITE_DONE) {
        src_err(m, err, "cannot read the events");
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(rd);
    sqlite3_finalize(has);
    sqlite3_finalize(wr);
    return ret;
}

/* src's suite and plan of a run, when dst's run has none */
static int merge_plan(struct merge *m, int64_t src_run, int64_t dst_run, char *err)
{
    int has = store_suite_json(m->dst, dst_run, NULL, err);
    if (has != 0)
        return has < 0 ? -1 : 0;
    char *suite = NULL;
    int is = store_suite_json(m->src, src_run, &suite, err);
    if (is <= 0)
        return is;
    sqlite3_stmt *rd = NULL, *wr = NULL;
    int ret = -1, rc;
    if (sqlite3_prepare_v2(m->dst->db, "INSERT INTO suites(run_id, suite) VALUES(?1, ?2)", -1, &wr,
                           NULL) != SQLITE_OK) {
        db_err(m->dst, err, "cannot prepare the suite");
        goto out;
    }
    sqlite3_bind_int64(wr, 1, dst_run);
    sqlite3_bind_text(wr, 2, suite, -1, SQLITE_TRANSIENT);
    rc = step_done(m->dst, wr, "cannot store the suite", err);
    wr = NULL;
    if (rc < 0)
        goto out;
    if (sqlite3_prepare_v2(m->src->db,
                           "SELECT idx, key, grp, model, test, settings FROM suite_plan WHERE "
                           "run_id = ?1 ORDER BY idx",
                           -1, &rd, NULL) != SQLITE_OK) {
        src_err(m, err, "cannot prepare the plan's read");
        goto out;
    }
    if (sqlite3_prepare_v2(m->dst->db,
                           "INSERT INTO suite_plan(run_id, idx, key, grp, model, test, settings) "
                           "VALUES(?1,?2,?3,?4,?5,?6,?7)",
                           -1, &wr, NULL) != SQLITE_OK) {
        db_err(m->dst, err, "cannot prepare the plan");
        goto out;
    }
    sqlite3_bind_int64(rd, 1, src_run);
    while ((rc = sqlite3_step(rd)) == SQLITE_ROW) {
        sqlite3_reset(wr);
        sqlite3_bind_int64(wr, 1, dst_run);
        for (int i = 0; i < 6; i++)
            sqlite3_bind_value(wr, i + 2, sqlite3_column_value(rd, i));
        if (sqlite3_step(wr) != SQLITE_DONE) {
            db_err(m->dst, err, "cannot store a plan cell");
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        src_err(m, err, "cannot read the plan");
        goto out;
    }
    ret = 0;
out:
    free(suite);
    sqlite3_finalize(rd);
    sqlite3_finalize(wr);
    return ret;
}

static int meta_put(struct store *s, const char *key, const char *value, char *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO meta(key, value) VALUES(?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        return db_err(s, err, "cannot prepare a note");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    return step_done(s, st, "cannot store a note", err);
}

/* uid -> run id of every dst run; a run without a stored uid gets its content's */
static int merge_dst_runs(struct merge *m, char *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(m->dst->db, "SELECT id FROM runs ORDER BY id", -1, &st, NULL) !=
        SQLITE_OK)
        return db_err(m->dst, err, "cannot prepare the runs' read");
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap)
            ids = xrealloc(ids, (cap = cap ? 2 * cap : 64) * sizeof(*ids));
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        ret = db_err(m->dst, err, "cannot read the runs");
    for (size_t i = 0; ret == 0 && i < n; i++) {
        char uid[65], key[48];
        bool stored;
        ret = run_uid_of(m->dst, ids[i], uid, &stored, err);
        snprintf(key, sizeof(key), "run_uid:%lld", (long long)ids[i]);
        if (ret == 0 && !stored)
            ret = meta_put(m->dst, key, uid, err);
        if (ret == 0)
            strmap_put(&m->runs, uid, (int)ids[i]);
    }
    free(ids);
    return ret;
}

/* One src run into dst (a new run, or the one of its uid) */
static int merge_run(struct merge *m, sqlite3_stmt *ru, char *err)
{
    int64_t src_run = sqlite3_column_int64(ru, 0);
    char uid[65];
    bool stored;
    if (run_uid_of(m->src, src_run, uid, &stored, err) < 0)
        return -1;
    int64_t dst_run = strmap_get(&m->runs, uid);
    if (dst_run > 0) {
        /* the same uid on another run (a copied database, a forged uid): not that run */
        sqlite3_stmt *id = NULL;
        if (sqlite3_prepare_v2(m->dst->db,
                               "SELECT command = ?1 AND argv = ?2 AND started = ?3 FROM runs "
                               "WHERE id = ?4",
                               -1, &id, NULL) != SQLITE_OK)
            return db_err(m->dst, err, "cannot prepare a run's check");
        for (int i = 0; i < 3; i++)
            sqlite3_bind_value(id, i + 1, sqlite3_column_value(ru, i + 2));
        sqlite3_bind_int64(id, 4, dst_run);
        bool same = sqlite3_step(id) == SQLITE_ROW && sqlite3_column_int(id, 0) == 1;
        sqlite3_finalize(id);
        if (!same) {
            char from[600];
            run_origin(m, dst_run, from, sizeof(from));
            char *line = xasprintf("conflict: run %lld of %s has the uid of another run (%s) but "
                                   "another command, argv or start; not merged",
                                   (long long)src_run, m->name, from);
            cJSON_AddItemToArray(m->conflicts, cJSON_CreateString(line));
            free(line);
            m->n->conflicts++;
            return 0;
        }
        m->n->runs_same++;
        /* a run that was still going when it was merged before: its end now */
        sqlite3_stmt *up = NULL;
        if (sqlite3_prepare_v2(m->dst->db,
                               "UPDATE runs SET ended = ?1, status = ?2, reason = ?3 WHERE id = "
                               "?4 AND status = 'running' AND ?2 != 'running'",
                               -1, &up, NULL) != SQLITE_OK)
            return db_err(m->dst, err, "cannot prepare a run's update");
        sqlite3_bind_value(up, 1, sqlite3_column_value(ru, 5));
        sqlite3_bind_value(up, 2, sqlite3_column_value(ru, 6));
        sqlite3_bind_value(up, 3, sqlite3_column_value(ru, 9));
        sqlite3_bind_int64(up, 4, dst_run);
        if (step_done(m->dst, up, "cannot update a run", err) < 0)
            return -1;
        m->n->runs_updated += sqlite3_changes(m->dst->db) > 0;
    } else {
        int64_t host = 0;
        if (merge_ref(m, "hosts", "fingerprint", HOST_COLS, 7, ru, 7, &host, err) < 0)
            return -1;
        sqlite3_stmt *wr = NULL;
        if (sqlite3_prepare_v2(m->dst->db,
                               "INSERT INTO runs(label, command, argv, started, ended, status, "
                               "host_id, imported_from, reason) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                               -1, &wr, NULL) != SQLITE_OK)
            return db_err(m->dst, err, "cannot prepare a run");
        for (int i = 1; i <= 9; i++)
            sqlite3_bind_value(wr, i, sqlite3_column_value(ru, i));
        bind_id(wr, 7, host);
        if (step_done(m->dst, wr, "cannot insert a run", err) < 0)
            return -1;
        dst_run = sqlite3_last_insert_rowid(m->dst->db);
        char key[48], from[700];
        snprintf(key, sizeof(key), "run_uid:%lld", (long long)dst_run);
        if (meta_put(m->dst, key, uid, err) < 0)
            return -1;
        snprintf(key, sizeof(key), "run_from:%lld", (long long)dst_run);
        snprintf(from, sizeof(from), "run %lld of %s", (long long)src_run, m->name);
        if (meta_put(m->dst, key, from, err) < 0)
            return -1;
        strmap_put(&m->runs, uid, (int)dst_run);
        m->n->runs_added++;
    }
    if (merge_plan(m, src_run, dst_run, err) < 0 || merge_events(m, src_run, dst_run, err) < 0 ||
        merge_cells(m, src_run, dst_run, err) < 0 || merge_plain_rows(m, src_run, dst_run, err) < 0)
        return -1;
    return 0;
}

/* src's notes of imported files, pointing at dst's runs (import stays idempotent) */
static int merge_imports(struct merge *m, char *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(m->src->db,
                           "SELECT key, CAST(value AS INTEGER) FROM meta WHERE key LIKE "
                           "'import:sha256:%'",
                           -1, &st, NULL) != SQLITE_OK)
        return src_err(m, err, "cannot prepare the imports' read");
    int rc, ret = 0;
    while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        char uid[65], id[24];
        bool stored;
        ret = run_uid_of(m->src, sqlite3_column_int64(st, 1), uid, &stored, err);
        int dst_run = ret == 0 ? strmap_get(&m->runs, uid) : -1;
        if (dst_run <= 0)
            continue;
        snprintf(id, sizeof(id), "%d", dst_run);
        ret = meta_put(m->dst, ctext(st, 0), id, err);
    }
    sqlite3_finalize(st);
    return ret;
}

int store_merge(struct store *dst, struct store *src, const char *src_name,
                struct store_merge_count *n, cJSON **conflicts, char *err)
{
    if (!dst->in_tx)
        return set_err(err, "database '%s': a merge needs the caller's transaction", dst->path);
    struct merge m = {dst, src, src_name, n, NULL, {0}, {0}, 0};
    if (!*conflicts)
        *conflicts = cJSON_CreateArray();
    m.conflicts = *conflicts;
    strmap_init(&m.runs);
    strmap_init(&m.refs);
    sqlite3_stmt *ru = NULL;
    int ret = -1, rc;
    if (pragma_int(dst->db, "SELECT coalesce(max(id), 0) FROM cells", &m.snap_cell) < 0) {
        db_err(dst, err, "cannot read the cells");
        goto out;
    }
    if (merge_dst_runs(&m, err) < 0)
        goto out;
    if (sqlite3_prepare_v2(src->db,
                           "SELECT id, label, command, argv, started, ended, status, host_id, "
                           "imported_from, reason FROM runs ORDER BY id",
                           -1, &ru, NULL) != SQLITE_OK) {
        src_err(&m, err, "cannot prepare the runs' read");
        goto out;
    }
    while ((rc = sqlite3_step(ru)) == SQLITE_ROW) {
        if (sig_caught()) {
            set_err(err, "interrupted");
            goto out;
        }
        if (merge_run(&m, ru, err) < 0)
            goto out;
    }
    if (rc != SQLITE_DONE) {
        src_err(&m, err, "cannot read the runs");
        goto out;
    }
    ret = merge_imports(&m, err);
out:
    sqlite3_finalize(ru);
    strmap_release(&m.runs);
    strmap_release(&m.refs);
    return ret;
}

static double jnum_or(const cJSON *o, const char *key)
{
    double v = 0;
    jnum(o, key, &v);
    return v;
}

int store_suite_summary(struct store *s, cJSON **suites, char *err)
{
    sqlite3_stmt *runs = NULL, *keys = NULL, *cnt = NULL;
    struct strmap plans;
    strmap_init(&plans);
    cJSON *arr = cJSON_CreateArray();
    int ret = -1, rc;
    if (sqlite3_prepare_v2(s->db, "SELECT run_id FROM suites ORDER BY run_id", -1, &runs, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT key FROM suite_plan WHERE run_id = ?1 ORDER BY idx", -1,
                           &keys, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "SELECT count(*), coalesce(sum(c.status = 'ok'), 0), "
                           "coalesce(sum(c.id IS NULL), 0) FROM suite_plan p LEFT JOIN cells c "
                           "ON c.id = (SELECT max(id) FROM cells WHERE key = p.key) "
                           "WHERE p.run_id = ?1",
                           -1, &cnt, NULL) != SQLITE_OK) {
        db_err(s, err, "cannot prepare the suites' read");
        goto out;
    }
    while ((rc = sqlite3_step(runs)) == SQLITE_ROW) {
        int64_t run = sqlite3_column_int64(runs, 0);
        struct sha256 c;
        char h[65];
        sha256_init(&c);
        sqlite3_reset(keys);
        sqlite3_bind_int64(keys, 1, run);
        while ((rc = sqlite3_step(keys)) == SQLITE_ROW)
            hash_field(&c, sqlite3_column_text(keys, 0));
        if (rc != SQLITE_DONE)
            break;
        hash_hex(&c, h);
        int k = strmap_get(&plans, h);
        cJSON *o;
        if (k < 0) {
            strmap_put(&plans, h, cJSON_GetArraySize(arr));
            o = cJSON_CreateObject();
            cJSON_AddItemToArray(arr, o);
            cJSON_AddNumberToObject(o, "runs", 0);
        } else {
            o = cJSON_GetArrayItem(arr, k);
        }
        cJSON_ReplaceItemInObject(o, "runs", cJSON_CreateNumber(jnum_or(o, "runs") + 1));
        cJSON_DeleteItemFromObject(o, "run_id");
        cJSON_AddNumberToObject(o, "run_id", (double)run);
    }
    if (rc != SQLITE_DONE) {
        db_err(s, err, "cannot read the suites");
        goto out;
    }
    cJSON *o;
    cJSON_ArrayForEach (o, arr) {
        sqlite3_reset(cnt);
        sqlite3_bind_int64(cnt, 1, (int64_t)jnum_or(o, "run_id"));
        if (sqlite3_step(cnt) != SQLITE_ROW) {
            db_err(s, err, "cannot count a suite's cells");
            goto out;
        }
        cJSON_AddNumberToObject(o, "cells", (double)sqlite3_column_int64(cnt, 0));
        cJSON_AddNumberToObject(o, "ok", (double)sqlite3_column_int64(cnt, 1));
        cJSON_AddNumberToObject(o, "missing", (double)sqlite3_column_int64(cnt, 2));
    }
    ret = 0;
out:
    sqlite3_finalize(runs);
    sqlite3_finalize(keys);
    sqlite3_finalize(cnt);
    strmap_release(&plans);
    if (ret < 0)
        cJSON_Delete(arr);
    else
        *suites = arr;
    return ret;
}
