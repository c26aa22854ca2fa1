/* The server's parts that need no socket: the frame log (frames.h: order, duplicates, run
 * filter, frames split across reads, how far behind), Last-Event-ID parsing, which hosts
 * are loopback, and that a query-only store refuses writes. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/dash/frames.h"
#include "../../src/dash/server.h"
#include "../../src/store/store.h"
#include "../../src/util/util.h"
#include "test.h"

static cJSON *event(int64_t id, int64_t run, const char *kind)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "id", (double)id);
    cJSON_AddNumberToObject(e, "run_id", (double)run);
    cJSON_AddStringToObject(e, "kind", kind);
    cJSON *p = cJSON_AddObjectToObject(e, "payload");
    cJSON_AddStringToObject(p, "text", "a\nb <script>");
    return e;
}

static void add(struct dash_frames *l, int64_t id, int64_t run)
{
    char err[QB_ERR_LEN];
    cJSON *e = event(id, run, "log");
    CHECK(dash_frames_add(l, e, err) == 0);
    cJSON_Delete(e);
}

/* everything a reader at after_id of run gets, read max bytes at a time */
static char *drain(const struct dash_frames *l, int64_t run, int64_t after_id, size_t max)
{
    size_t pos = dash_frames_find(l, after_id), off = 0, n = 0;
    char *out = xcalloc(1, l->bytes + 1);
    char buf[4096];
    size_t k;
    while ((k = dash_frames_copy(l, run, &pos, &off, buf, max)) > 0) {
        memcpy(out + n, buf, k);
        n += k;
    }
    CHECK(dash_frames_behind(l, pos, off) == 0);
    return out;
}

void test_dash_frames(void)
{
    struct dash_frames l = {0};
    char err[QB_ERR_LEN];
    add(&l, 3, 1);
    add(&l, 5, 2);
    add(&l, 5, 2); /* read twice: kept once */
    add(&l, 4, 1); /* older than the last: skipped */
    add(&l, 9, 1);
    CHECK(l.n == 3);
    CHECK(l.last_id == 9);
    cJSON *bad = cJSON_CreateObject();
    cJSON_AddStringToObject(bad, "id", "7");
    CHECK(dash_frames_add(&l, bad, err) == -1);
    CHECK(strstr(err, "integer id") != NULL);
    cJSON_Delete(bad);
    /* one frame: id line, one data line (the newline inside is \n), blank line */
    CHECK(strncmp(l.f[0].text, "id: 3\ndata: {\"id\":3,", 20) == 0);
    CHECK(strstr(l.f[0].text, "a\\nb <script>") != NULL);
    CHECK(strcmp(l.f[0].text + l.f[0].len - 3, "}\n\n") == 0);
    CHECK(strchr(l.f[0].text + 12, '\n') == l.f[0].text + l.f[0].len - 2);
    CHECK(dash_frames_find(&l, 0) == 0);
    CHECK(dash_frames_find(&l, 3) == 1);
    CHECK(dash_frames_find(&l, 4) == 1);
    CHECK(dash_frames_find(&l, 8) == 2);
    CHECK(dash_frames_find(&l, 9) == 3);
    /* every run, whole and split into pieces of 1, 7 and 64 bytes: the same bytes */
    char *all = drain(&l, 0, 0, 4096);
    CHECK(strlen(all) == l.bytes);
    for (size_t max = 1; max <= 64; max = max * 8 - 1) {
        char *part = drain(&l, 0, 0, max);
        CHECK_STR(part, all);
        free(part);
    }
    /* run 1 only, after id 3: frame 9 alone */
    char *r1 = drain(&l, 1, 3, 5);
    CHECK_STR(r1, l.f[2].text);
    free(r1);
    char *r2 = drain(&l, 2, 0, 4096);
    CHECK_STR(r2, l.f[1].text);
    free(r2);
    /* behind: the bytes after the position */
    CHECK(dash_frames_behind(&l, 0, 0) == l.bytes);
    CHECK(dash_frames_behind(&l, 1, 2) == l.bytes - l.f[0].len - 2);
    CHECK(dash_frames_behind(&l, 3, 0) == 0);
    free(all);
    dash_frames_free(&l);
    CHECK(l.n == 0 && l.f == NULL);
    dash_frames_free(&l);
}

void test_dash_event_id(void)
{
    int64_t id = -1;
    CHECK(dash_frames_parse_id("42", &id) == 0 && id == 42);
    CHECK(dash_frames_parse_id(" 7 ", &id) == 0 && id == 7);
    CHECK(dash_frames_parse_id("0", &id) == 0 && id == 0);
    CHECK(dash_frames_parse_id("9223372036854775807", &id) == 0 && id == INT64_MAX);
    CHECK(dash_frames_parse_id("9223372036854775808", &id) == -1);
    CHECK(dash_frames_parse_id("99999999999999999999", &id) == -1);
    CHECK(dash_frames_parse_id("", &id) == -1);
    CHECK(dash_frames_parse_id(" ", &id) == -1);
    CHECK(dash_frames_parse_id("-1", &id) == -1);
    CHECK(dash_frames_parse_id("+1", &id) == -1);
    CHECK(dash_frames_parse_id("1e3", &id) == -1);
    CHECK(dash_frames_parse_id("12abc", &id) == -1);
    CHECK(dash_frames_parse_id("0x10", &id) == -1);
    CHECK(dash_frames_parse_id(NULL, &id) == -1);
}

void test_dash_loopback(void)
{
    CHECK(dash_host_is_loopback("127.0.0.1"));
    CHECK(dash_host_is_loopback("127.1.2.3"));
    CHECK(dash_host_is_loopback("::1"));
    CHECK(dash_host_is_loopback("localhost"));
    CHECK(!dash_host_is_loopback("0.0.0.0"));
    CHECK(!dash_host_is_loopback("::"));
    CHECK(!dash_host_is_loopback("192.168.1.2"));
    CHECK(!dash_host_is_loopback("128.0.0.1"));
    CHECK(!dash_host_is_loopback("example.org"));
}

void test_store_query_only(void)
{
    char err[QB_ERR_LEN];
    struct store *s = store_open(":memory:", 0, err);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t run = 0;
    CHECK(store_run_begin(s, "bench", "[]", NULL, NULL, &run, err) == 0);
    CHECK(store_set_query_only(s, err) == 0);
    cJSON *runs = NULL;
    CHECK(store_list_runs(s, &runs, err) == 0 && cJSON_GetArraySize(runs) == 1);
    cJSON_Delete(runs);
    CHECK(store_run_begin(s, "bench", "[]", NULL, NULL, &run, err) == -1);
    CHECK(store_add_event(s, 1, -1, "log", NULL, err) == -1);
    CHECK(store_test_exec(s, "DELETE FROM runs", err) == -1);
    CHECK(strstr(err, "readonly") != NULL || strstr(err, "read-only") != NULL ||
          strstr(err, "query_only") != NULL);
    runs = NULL;
    CHECK(store_list_runs(s, &runs, err) == 0 && cJSON_GetArraySize(runs) == 1);
    cJSON_Delete(runs);
    store_close(s);
}

/* A second handle on a file this process has open (the server beside the run) must not
 * take the first one's locks away: were they lost, another process closing the database
 * would delete the log under the first handle, which then sees none of its writes. */
void test_store_second_handle(void)
{
    char err[QB_ERR_LEN], dir[] = "/tmp/qb-second-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *db = xasprintf("%s/q.db", dir), *wal = xasprintf("%s/q.db-wal", dir);
    struct store *a = store_open(db, 0, err);
    int64_t run = 0;
    CHECK(a && store_run_begin(a, "run", "[]", NULL, NULL, &run, err) == 0);
    struct store *b = store_open_as(db, 0, STORE_READ, NULL, err);
    CHECK(b != NULL);
    CHECK(store_set_query_only(b, err) == 0);
    store_close(b);
    /* another process (SQLite's shell, from scripts/setup.sh) writes a row and closes */
    char *cmd = xasprintf("sqlite3 '%s' \"INSERT INTO events(run_id, cell, kind, payload, time) "
                          "VALUES(%lld, NULL, 'log', '{}', 0)\"",
                          db, (long long)run);
    CHECK(system(cmd) == 0);
    free(cmd);
    CHECK(access(wal, F_OK) == 0); /* a's shared lock kept the log */
    cJSON *ev = NULL;
    CHECK(a && store_events(a, run, 0, &ev, err) == 0 && cJSON_GetArraySize(ev) == 1);
    cJSON_Delete(ev);
    store_close(a);
    unlink(db);
    unlink(wal);
    char *shm = xasprintf("%s/q.db-shm", dir);
    unlink(shm);
    rmdir(dir);
    free(db);
    free(wal);
    free(shm);
}
