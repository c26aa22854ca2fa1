/* quantbench merge A.db B.db ... -o OUT.db: the results databases of several processes
 * (a Slurm job array's task-K.db, runs on other machines) into one, content-keyed
 * (store_merge): merging a file again, or two files that hold the same run or cell, adds
 * nothing; two finished cells of one key with different results are conflicts, reported
 * and kept as the first. Every input is checked before OUT is touched, and everything
 * goes into OUT in one transaction (a new OUT is made under a temporary name and linked
 * into place at the end), so a failure or a signal leaves OUT as it was. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../store/store.h"
#include "../util/log.h"
#include "../util/sig.h"
#include "cmd.h"

static const char merge_help[] =
    "usage: quantbench merge A.db [B.db ...] -o OUT.db\n"
    "\n"
    "Merges results databases (each task's of a Slurm job array, runs made on other\n"
    "machines) into OUT.db, which may exist already: the runs, suite plans, cells, rows and\n"
    "events of every input, each kept once by its content. A run is known by the uid it got\n"
    "when it began, a cell by its key and results, a row by its kind, line and values, so\n"
    "merging a file twice, or a shard that ran twice, adds nothing. Shards of one suite\n"
    "(each task's database holds the whole plan and the cells it ran) become one suite:\n"
    "report --suite last (or the run any shard became) prints the table of all their\n"
    "cells. Two finished (ok) cells of one key with different results are conflicts: the\n"
    "first is kept, the other is not merged, and each is reported on one line. A cell that\n"
    "did not finish is not merged where a finished one of its key is there already.\n"
    "Inputs are only read, each through a private copy taken while it held still (its -wal\n"
    "read, an older schema migrated there): a task still running can be merged, and merged\n"
    "again later brings the rest. Every input is checked before OUT is touched, and OUT is\n"
    "written in one transaction: a bad input, a failure or a signal leaves it as it was.\n"
    "Prints one line per input (what was added, what was there already, superseded cells\n"
    "and conflicts), then what OUT holds and each suite's cells. A database on a network\n"
    "filesystem keeps a rollback journal, not WAL (README \"merge\").\n"
    "\n"
    "Flags:\n"
    "  -o, --output OUT.db   the database to merge into (made when missing)\n"
    "\n"
    "Exit: 0 merged; 2 a bad flag, no input or no -o, an input that is OUT; 3 an input or\n"
    "OUT that is missing (inputs), unreadable, not a quantbench database, corrupt or of a\n"
    "newer schema (nothing is written); 4 merged with conflicts (the conflicting cells of\n"
    "later inputs are left out); 1 OUT could not be written (left as it was); 130/143 a\n"
    "signal (OUT left as it was).\n"
    "\n" QB_EXIT_CODES_HELP;

static const char *plural(int n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* "1 run, 4 cells, 8 rows" */
static void counts_text(char *out, size_t n, int runs, int cells, int rows)
{
    snprintf(out, n, "%d %s, %d %s, %d %s", runs, plural(runs, "run", "runs"), cells,
             plural(cells, "cell", "cells"), rows, plural(rows, "row", "rows"));
}

static void print_counts(const char *name, const struct store_merge_count *c)
{
    char added[96], there[96];
    counts_text(added, sizeof(added), c->runs_added, c->cells_added, c->rows_added);
    counts_text(there, sizeof(there), c->runs_same, c->cells_same, c->rows_same);
    printf("%s: added %s, %d %s; already there %s; %d superseded, %d %s", name, added,
           c->events_added, plural(c->events_added, "event", "events"), there, c->cells_superseded,
           c->conflicts, plural(c->conflicts, "conflict", "conflicts"));
    if (c->runs_updated > 0)
        printf("; %d %s ended since", c->runs_updated, plural(c->runs_updated, "run", "runs"));
    putchar('\n');
}

/* What OUT holds now: its runs and rows, and each suite's cells */
static int print_out(struct store *st, const char *out, char *err)
{
    cJSON *runs = NULL, *suites = NULL;
    if (store_list_runs(st, &runs, err) < 0)
        return -1;
    int n_rows = 0;
    const cJSON *r;
    cJSON_ArrayForEach (r, runs)
        n_rows += cJSON_GetObjectItemCaseSensitive(r, "n_results")->valueint;
    int n_runs = cJSON_GetArraySize(runs);
    cJSON_Delete(runs);
    printf("%s: %d %s, %d %s\n", out, n_runs, plural(n_runs, "run", "runs"), n_rows,
           plural(n_rows, "row", "rows"));
    if (store_suite_summary(st, &suites, err) < 0)
        return -1;
    const cJSON *s;
    cJSON_ArrayForEach (s, suites) {
        int id = cJSON_GetObjectItemCaseSensitive(s, "run_id")->valueint;
        int k = cJSON_GetObjectItemCaseSensitive(s, "runs")->valueint;
        int cells = cJSON_GetObjectItemCaseSensitive(s, "cells")->valueint;
        int ok = cJSON_GetObjectItemCaseSensitive(s, "ok")->valueint;
        int missing = cJSON_GetObjectItemCaseSensitive(s, "missing")->valueint;
        printf("suite of %d %s (%d %s): %d ok, %d not ok, %d missing; report --suite %d\n", cells,
               plural(cells, "cell", "cells"), k, plural(k, "run", "runs"), ok,
               cells - ok - missing, missing, id);
    }
    cJSON_Delete(suites);
    return 0;
}

static void remove_db_files(const char *path)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < QB_ARRAY_LEN(sfx); i++) {
        char p[PATH_MAX + 16];
        snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
        unlink(p);
    }
}

/* The exit code of a database that could not be opened */
static int open_exit(enum store_fail why)
{
    return why == STORE_FAIL_BUSY ? QB_EXIT_FAIL : QB_EXIT_INPUT;
}

int cmd_merge(int argc, char **argv)
{
    const char *out = NULL;
    const char **in = xcalloc((size_t)argc, sizeof(char *));
    int n_in = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(merge_help, stdout);
            free(in);
            return QB_EXIT_OK;
        }
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc) {
                free(in);
                return usage_error("merge", "'%s' needs a value", a);
            }
            out = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            free(in);
            return usage_error("merge", "unknown flag '%s'", a);
        } else {
            in[n_in++] = a;
        }
    }
    int ret = QB_EXIT_OK;
    struct store **src = xcalloc((size_t)(n_in > 0 ? n_in : 1), sizeof(*src));
    struct store *dst = NULL;
    cJSON *conflicts = NULL;
    char err[QB_ERR_LEN], tmp[PATH_MAX + 64] = "";
    struct store_merge_count *cnt = xcalloc((size_t)(n_in > 0 ? n_in : 1), sizeof(*cnt));
    if (n_in == 0 || !out) {
        ret = usage_error("merge", n_in == 0 ? "no database to merge" : "no -o OUT.db");
        goto out;
    }
    if (sig_install(err) < 0) {
        ret = error("%s", err);
        goto out;
    }
    struct stat so;
    bool out_exists = stat(out, &so) == 0;
    for (int i = 0; i < n_in; i++) {
        struct stat si;
        if (out_exists && stat(in[i], &si) == 0 && si.st_dev == so.st_dev &&
            si.st_ino == so.st_ino) {
            ret = usage_error("merge", "'%s' is the output database; merge it into another", in[i]);
            goto out;
        }
    }
    /* every input checked (and read as it is now) before OUT is touched */
    for (int i = 0; i < n_in; i++) {
        enum store_fail why = STORE_FAIL_IO;
        struct stat si;
        if (stat(in[i], &si) != 0 && errno == ENOENT) {
            ret = QB_EXIT_INPUT;
            error("no results database at '%s'; nothing merged", in[i]);
            goto out;
        }
        src[i] = store_open_as(in[i], 0, STORE_SNAPSHOT, &why, err);
        if (!src[i]) {
            ret = open_exit(why);
            error("%s; nothing merged", err);
            goto out;
        }
    }
    /* a new OUT is made whole under a temporary name beside it */
    const char *target = out;
    if (!out_exists) {
        snprintf(tmp, sizeof(tmp), "%s.merge-%ld.tmp", out, (long)getpid());
        remove_db_files(tmp);
        target = tmp;
    }
    enum store_fail why = STORE_FAIL_IO;
    dst = store_open_as(target, 0, STORE_WRITE, &why, err);
    if (!dst) {
        ret = why == STORE_FAIL_REFUSED ? QB_EXIT_INPUT : QB_EXIT_FAIL;
        error("%s", err);
        goto out;
    }
    if (store_journal_note(dst))
        log_warn("database '%s' %s", out, store_journal_note(dst));
    if (store_begin(dst, err) < 0) {
        ret = error("%s; nothing merged", err);
        goto out;
    }
    for (int i = 0; i < n_in; i++) {
        if (store_merge(dst, src[i], in[i], &cnt[i], &conflicts, err) < 0) {
            store_rollback(dst);
            if (sig_caught()) {
                ret = sig_exit_code();
                error("interrupted by SIG%s: nothing merged, '%s' is as it was",
                      sigabbrev_np(sig_caught()), out);
            } else {
                ret = QB_EXIT_FAIL;
                error("'%s' could not be merged: %s; nothing merged, '%s' is as it was", in[i], err,
                      out);
            }
            goto out;
        }
    }
    if (store_commit(dst, err) < 0) {
        ret = error("%s; nothing merged, '%s' is as it was", err, out);
        goto out;
    }
    if (tmp[0]) {
        store_close(dst);
        dst = NULL;
        if (link(tmp, out) < 0 && (errno == EEXIST || rename(tmp, out) < 0)) {
            ret = error("cannot make '%s': %s", out,
                        errno == EEXIST ? "it appeared meanwhile" : strerror(errno));
            goto out;
        }
        remove_db_files(tmp);
        tmp[0] = 0;
        enum store_fail w2;
        dst = store_open_as(out, 0, STORE_READ, &w2, err);
        if (!dst) {
            ret = error("%s", err);
            goto out;
        }
    }
    for (int i = 0; i < n_in; i++)
        print_counts(in[i], &cnt[i]);
    const cJSON *c;
    cJSON_ArrayForEach (c, conflicts)
        log_warn("%s", c->valuestring);
    if (print_out(dst, out, err) < 0) {
        ret = error("%s", err);
        goto out;
    }
    if (cJSON_GetArraySize(conflicts) > 0) {
        int k = cJSON_GetArraySize(conflicts);
        error("%d %s: the cells kept are the first of each key", k,
              plural(k, "conflict", "conflicts"));
        ret = QB_EXIT_PARTIAL;
    }
out:
    store_close(dst);
    if (tmp[0])
        remove_db_files(tmp);
    for (int i = 0; i < n_in; i++)
        store_close(src[i]);
    cJSON_Delete(conflicts);
    free(src);
    free(cnt);
    free(in);
    return ret;
}
