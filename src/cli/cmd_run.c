/* quantbench run: a suite (models x settings x tests, README "Suites") through
 * suite/: validated whole first, then every cell not stored yet, resumable after a crash
 * or a kill, and at the end the table to share (report --suite prints it again). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dash/report.h"
#include "../dash/server.h"
#include "../engine/engine.h"
#include "../report/table.h"
#include "../store/dbrun.h"
#include "../store/store.h"
#include "../suite/exec.h"
#include "../suite/share.h"
#include "../suite/suite.h"
#include "../util/log.h"
#include "../util/sig.h"
#include "cmd.h"

static const char run_help[] =
    "usage: quantbench run [SUITE.json] [flags]\n"
    "\n"
    "Runs a suite: every model x setting x test of SUITE.json (README \"Suites\"), one cell\n"
    "after another, each stored with its rows as it finishes. Run it again on the same\n"
    "database and it skips the cells stored already: after a crash, a kill or a walltime it\n"
    "completes exactly the missing ones; an edited suite reruns the cells whose model, test\n"
    "or settings changed. At the end it prints the table to share (report --suite RUN).\n"
    "\n"
    "  SUITE.json          the suite; without one, the built-in default on --source\n"
    "  --source F16.gguf   the built-in default suite on this F16/BF16 model: its ladder\n"
    "                      Q8_0 Q6_K Q4_K_M Q3_K_L, bench pp512 tg128 pp512+tg128, mem,\n"
    "                      perplexity and KL-divergence against the source on the\n"
    "                      licenses corpus, the built-in prompts answered and graded\n"
    "                      (what make run runs)\n"
    "  --example           print the default suite (a complete example) and exit\n"
    "  --dry-run           list every cell, what a run would do to it and its estimated time\n"
    "  --fresh             measure every cell again, stored or not\n"
    "  --retry-failed      measure again the cells whose stored result failed\n"
    "  --timeout S         per model load and per call [none]\n"
    "  -o FMT              the table: md, csv, json or html (the dashboard's page of the\n"
    "                      run as one self-contained file, as report --suite RUN -o html)\n"
    "                      [md]\n"
    "  --progress, --no-progress   the status line (default: when stderr is a terminal)\n"
    "  -v, --verbose       echo the workers' stderr\n"
    "  --serve             serve the dashboard on the run's database while it runs (as\n"
    "                      quantbench serve; from before the first cell to the end): its\n"
    "                      URL on stderr\n"
    "  --host ADDR, --port N   where --serve listens [127.0.0.1, 8080; 0: a free port]\n"
    "\n"
    "Exit: 0 every cell ok; 2 a bad flag or suite (unknown key, wrong type, empty grid);\n"
    "3 a suite that is missing, unreadable or not JSON, or a model or file it names that\n"
    "is; 4 some cells failed (crashed, out of memory,\n"
    "timed out: recorded with their status; --retry-failed reruns them); 130/143 a signal\n"
    "(the finished cells are kept).\n"
    "\n" QB_EXIT_CODES_HELP;

struct run_opts {
    const char *file, *source;
    bool example, dry_run;
    struct suite_opts so;
    enum bench_fmt fmt;
    bool serve;
    const char *host;
    int port;
};

static int parse_args(int argc, char **argv, struct run_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->so.progress = PROGRESS_AUTO;
    o->fmt = BENCH_FMT_MD;
    o->host = "127.0.0.1";
    o->port = 8080;
    const char *where_given = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(run_help, stdout);
            return -1;
        } else if (!strcmp(a, "--example")) {
            o->example = true;
        } else if (!strcmp(a, "--dry-run")) {
            o->dry_run = true;
        } else if (!strcmp(a, "--fresh")) {
            o->so.fresh = true;
        } else if (!strcmp(a, "--retry-failed")) {
            o->so.retry_failed = true;
        } else if (!strcmp(a, "--progress")) {
            o->so.progress = PROGRESS_ON;
        } else if (!strcmp(a, "--no-progress")) {
            o->so.progress = PROGRESS_OFF;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->so.verbose++;
        } else if (!strcmp(a, "--serve")) {
            o->serve = true;
        } else if (!strcmp(a, "--host") || !strcmp(a, "--port")) {
            if (!v || !v[0])
                return usage_error("run", "'%s' needs a value", a);
            i++;
            where_given = a;
            if (a[2] == 'h')
                o->host = v;
            else if (parse_int(v, 0, 65535, &o->port) < 0)
                return usage_error("run", "invalid value '%s' for --port (expected 0-65535)", v);
        } else if (!strcmp(a, "--source") || !strcmp(a, "--timeout") || !strcmp(a, "-o")) {
            if (!v || !v[0])
                return usage_error("run", "'%s' needs a value", a);
            i++;
            if (a[2] == 's') {
                o->source = v;
            } else if (a[1] == 'o') {
                char err[QB_ERR_LEN];
                unsigned fmts = BENCH_FMT_BIT(BENCH_FMT_MD) | BENCH_FMT_BIT(BENCH_FMT_CSV) |
                                BENCH_FMT_BIT(BENCH_FMT_JSON) | BENCH_FMT_BIT(BENCH_FMT_HTML);
                if (bench_fmt_flag(v, fmts, NULL, &o->fmt, err) < 0)
                    return usage_error("run", "%s", err);
            } else if (parse_double(v, &o->so.timeout_s) < 0 || o->so.timeout_s < 0) {
                return usage_error("run", "invalid value '%s' for --timeout (expected seconds)", v);
            }
        } else if (a[0] == '-' && a[1]) {
            return usage_error("run", "unknown flag '%s'", a);
        } else if (o->file) {
            return usage_error("run", "one suite at a time ('%s' and '%s')", o->file, a);
        } else {
            o->file = a;
        }
    }
    if (o->file && o->source)
        return usage_error("run", "--source is for the built-in suite; '%s' names its models",
                           o->file);
    if (where_given && !o->serve)
        return usage_error("run", "'%s' is for --serve", where_given);
    if (o->serve && !dbrun_path())
        return usage_error("run", "--serve serves the run's database: not with --no-db");
    if (!o->file && !o->source && !o->example)
        return usage_error("run", "no suite: give SUITE.json, or --source F16.gguf for the "
                                  "built-in one (--example prints it)");
    return 0;
}

/* the table of run_id's cells, to stdout */
static int print_table(struct store *st, int64_t run_id, enum bench_fmt fmt)
{
    char err[QB_ERR_LEN];
    if (fmt == BENCH_FMT_MD)
        fputc('\n', stdout);
    if (fmt == BENCH_FMT_HTML ? dash_report_suite(st, run_id, stdout, err) < 0
                              : suite_write_table(st, run_id, fmt, stdout, err) < 0)
        return error("the table: %s", err);
    return fflush(stdout) == 0 ? 0 : error("cannot write the table");
}

static int run_main(struct run_opts *o)
{
    char err[QB_ERR_LEN];
    if (o->example) {
        fputs(suite_default_json(o->source ? o->source : "models/demo-F16.gguf"), stdout);
        return QB_EXIT_OK;
    }
    char *text = NULL;
    const char *file = o->file ? o->file : "(built-in suite)";
    if (o->file) {
        size_t len;
        if (!(text = read_file(o->file, 16u << 20, &len, err))) {
            error("%s", err);
            return QB_EXIT_INPUT;
        }
        if (memchr(text, '\0', len)) { /* JSON has none: what follows it would be lost */
            free(text);
            error("%s: contains a NUL byte (not a JSON text)", o->file);
            return QB_EXIT_INPUT;
        }
    } else {
        text = xstrdup(suite_default_json(o->source));
    }
    struct suite s;
    struct suite_cells cells = {0};
    int rc = suite_parse(file, text, &s, err);
    free(text);
    if (rc == 0)
        rc = suite_expand(&s, &cells, err);
    if (rc) {
        error("%s", err);
        goto out;
    }
    engine_global_init(0);
    struct engine_build_info bi;
    engine_build_info(&bi);
    char build[160];
    snprintf(build, sizeof(build), "%s %d", bi.commit, bi.build_number);
    o->so.build = build;

    struct store *st = NULL, *mem_st = NULL;
    int64_t run_id = 0;
    int code;
    if (o->dry_run) {
        /* the database as it is, read only: nothing is written by a dry run */
        const char *db = dbrun_path();
        if (db && access(db, F_OK) == 0 && !(st = dbrun_open_existing(db, &code, err))) {
            error("%s", err);
            rc = code;
            goto out;
        }
        suite_keys(&s, &cells, build, err); /* rungs not made yet keep no key */
        rc = suite_dry_run(&s, &cells, st, &o->so, err);
        if (rc)
            error("%s", err);
        store_close(st);
        goto out;
    }
    bool made;
    rc = suite_make_ladder(&s, &o->so, &made, err);
    if (rc && rc != QB_EXIT_PARTIAL) {
        error("%s", err);
        goto out;
    }
    int ladder_rc = rc;
    /* a rung that could not be made has no identity: its cells keep no key, left out */
    if ((rc = suite_keys(&s, &cells, build, err)) != 0) {
        error("%s", err);
        goto out;
    }
    if (dbrun_begin(&st, &run_id, &code, err) < 0) {
        error("%s", err);
        rc = code;
        goto out;
    }
    if (!st) { /* --no-db: a private database for this run's table */
        if (!(mem_st = store_open(":memory:", 0, err)) ||
            store_run_begin(mem_st, "run", "[\"run\"]", NULL, NULL, &run_id, err) < 0) {
            error("%s", err);
            rc = QB_EXIT_FAIL;
            goto out_db;
        }
        st = mem_st;
    }
    struct dash_server *srv = NULL;
    if (o->serve) {
        struct dash_server_opts so = {
            .db = dbrun_path(), .host = o->host, .port = o->port, .title = "quantbench run"};
        if (!(srv = dash_server_start(&so, &code, err))) {
            error("--serve: %s", err);
            rc = code;
            goto out_db;
        }
        if (!dash_host_is_loopback(o->host))
            log_printf("quantbench: warning: --host %s is not loopback: anyone who can reach "
                       "it reads the results\n",
                       o->host);
        log_printf("quantbench: serving %s\n", dash_server_url(srv));
    }
    struct suite_result res;
    rc = suite_run(&s, &cells, st, run_id, &o->so, &res, err);
    if (rc && rc != QB_EXIT_PARTIAL && !res.interrupted) /* main says an interruption */
        error("%s", err);
    if (!res.interrupted && rc != QB_EXIT_FAIL) {
        log_printf("quantbench: run: %d cells: %d run (%d ok, %d failed), %d reused%s\n",
                   res.n_cells, res.n_run, res.n_ok, res.n_failed, res.n_reused,
                   res.n_missing ? ", some left out" : "");
        int trc = print_table(st, run_id, o->fmt);
        if (trc)
            rc = trc;
        else if (!mem_st)
            log_printf("quantbench: run %lld: the table again: quantbench report --suite %lld;"
                       " its rows: quantbench report run=%lld\n",
                       (long long)run_id, (long long)run_id, (long long)run_id);
    }
    if (rc == 0 && ladder_rc)
        rc = ladder_rc;
    dash_server_stop(srv);
out_db:
    store_close(mem_st);
out:
    suite_cells_release(&cells);
    suite_release(&s);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    struct run_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? QB_EXIT_OK : rc;
    return run_main(&o);
}
