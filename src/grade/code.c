/* The code grader: the answer's first Python code block and the item's tests, run by
 * python3 in a fresh temporary directory through sandbox.c. Each top-level assert of the
 * tests is one test; the other statements are their set-up. No python3 is "skipped". */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/sig.h"
#include "grade_int.h"
#include "sandbox.h"

#define CODE_TIMEOUT_S 10.0
#define CODE_MEMORY_MB 1024
#define CODE_FSIZE     (16u << 20)

/* The runner, run.py: loads solution.py as the module 'solution' (so a __main__ block does
 * not run), then runs tests.py statement by statement in its namespace and writes one
 * line on the descriptor fd 3 was (fd 3 itself closed first), after the nonce the program
 * cannot know: "tests PASSED TOTAL FIRST-FAILURE", "load WHY", "setup WHY" or "badtests WHY". */
static const char runner_py[] =
    "import ast, os, sys\n"
    "N = '%s'\n"
    "def why(e):\n"
    "    s = str(e)\n"
    "    return type(e).__name__ + (': ' + s if s else '')\n"
    "def say(fd, *parts):\n"
    "    t = ' '.join(str(p) for p in parts).replace('\\n', ' ').replace('\\r', ' ')\n"
    "    os.write(fd, (t[:700] + '\\n').encode('utf-8', 'replace'))\n"
    "def main():\n"
    "    fd = os.dup(3)\n"
    "    os.close(3)\n"
    "    with open('tests.py', encoding='utf-8') as f:\n"
    "        tests = f.read()\n"
    "    try:\n"
    "        body = ast.parse(tests, 'tests.py').body\n"
    "    except SyntaxError as e:\n"
    "        say(fd, N, 'badtests', why(e))\n"
    "        return\n"
    "    with open('solution.py', encoding='utf-8') as f:\n"
    "        src = f.read()\n"
    "    ns = {'__name__': 'solution'}\n"
    "    try:\n"
    "        exec(compile(src, 'solution.py', 'exec'), ns)\n"
    "    except BaseException as e:\n"
    "        say(fd, N, 'load', why(e))\n"
    "        return\n"
    "    total = sum(isinstance(s, ast.Assert) for s in body)\n"
    "    passed, first = 0, ''\n"
    "    for s in body:\n"
    "        try:\n"
    "            exec(compile(ast.Module([s], []), 'tests.py', 'exec'), ns)\n"
    "            passed += isinstance(s, ast.Assert)\n"
    "        except BaseException as e:\n"
    "            seg = (ast.get_source_segment(tests, s) or '').split('\\n')[0][:100]\n"
    "            msg = 'line %%d (%%s): %%s' %% (s.lineno, seg, why(e))\n"
    "            if not isinstance(s, ast.Assert):\n"
    "                say(fd, N, 'setup', msg)\n"
    "                return\n"
    "            first = first or msg\n"
    "    say(fd, N, 'tests', passed, total, first)\n"
    "main()\n";

int grade_code_check(const cJSON *spec, char *err)
{
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(spec, "language");
    if (l && !(cJSON_IsString(l) && strcmp(l->valuestring, "python") == 0))
        return set_err(err, "grader 'code': 'language' must be \"python\" (the only one there is)");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(spec, "tests");
    if (!cJSON_IsString(t) || !t->valuestring[0])
        return set_err(err, "grader 'code': 'tests' is missing or not a non-empty string");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(spec, "timeout_s");
    if (to && (!cJSON_IsNumber(to) || !(to->valuedouble > 0 && to->valuedouble <= 600)))
        return set_err(err, "grader 'code': 'timeout_s' is not a number of seconds above 0, at "
                            "most 600");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(spec, "memory_mb");
    if (m && (!cJSON_IsNumber(m) || !(m->valuedouble >= 64 && m->valuedouble <= 1048576) ||
              m->valuedouble != floor(m->valuedouble)))
        return set_err(err, "grader 'code': 'memory_mb' is not a whole number from 64 to 1048576");
    return 0;
}

/* ---------------------------------------------------------------- the code block */

static bool python_info(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    const char *w = p;
    while (w < e && *w != ' ' && *w != '\t' && *w != '\r' && *w != '{')
        w++;
    size_t n = (size_t)(w - p);
    return n == 0 || (n == 6 && strncasecmp(p, "python", 6) == 0) ||
           (n == 2 && strncasecmp(p, "py", 2) == 0) ||
           (n == 7 && strncasecmp(p, "python3", 7) == 0);
}

/* a fence line (up to 3 spaces, 3 or more ` or ~): its character and length, 0 if not */
static int fence(const char *p, const char *e, char *ch, const char **after)
{
    int ind = 0;
    while (p < e && *p == ' ' && ind < 4)
        p++, ind++;
    if (ind > 3 || p >= e || (*p != '`' && *p != '~'))
        return 0;
    char c = *p;
    int n = 0;
    while (p < e && *p == c)
        p++, n++;
    if (n < 3 || (c == '`' && memchr(p, '`', (size_t)(e - p))))
        return 0;
    *ch = c;
    *after = p;
    return n;
}

/* The first fenced block tagged python, py, python3 or untagged: 1 with its content in
 * [*b, *e), 0 when there is none, -1 when it is never closed (a cut-off answer) */
static int code_block(const char *text, const char **b, const char **e)
{
    const char *p = text;
    while (*p) {
        const char *le = strchr(p, '\n');
        le = le ? le : p + strlen(p);
        char c;
        const char *after;
        int n = fence(p, le, &c, &after);
        if (!n) {
            p = *le ? le + 1 : le;
            continue;
        }
        bool py = python_info(after, le);
        const char *start = *le ? le + 1 : le, *q = start;
        for (;;) {
            if (!*q)
                return py ? -1 : 0;
            const char *qe = strchr(q, '\n');
            qe = qe ? qe : q + strlen(q);
            char c2;
            const char *a2;
            int n2 = fence(q, qe, &c2, &a2);
            bool blank = true;
            for (const char *s = n2 ? a2 : qe; s < qe; s++)
                blank = blank && (*s == ' ' || *s == '\t' || *s == '\r');
            if (n2 >= n && c2 == c && blank) {
                if (py) {
                    *b = start;
                    *e = q;
                    return 1;
                }
                p = *qe ? qe + 1 : qe;
                break;
            }
            q = *qe ? qe + 1 : qe;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- the interpreter */

/* name on PATH (name with a '/': itself) when executable, into buf */
static bool find_program(const char *name, char *buf, size_t n)
{
    if (strchr(name, '/')) {
        snprintf(buf, n, "%s", name);
        return access(buf, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    char *dirs = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    bool found = false;
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d && !found;
         d = strtok_r(NULL, ":", &save)) {
        snprintf(buf, n, "%s/%s", *d ? d : ".", name);
        struct stat st;
        found = stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0;
    }
    free(dirs);
    return found;
}

/* The Python to run: QB_PYTHON or python3 on PATH, asked for its sys.executable (a pyenv
 * shim is a script that runs another program, which the confined child could not do).
 * Remembered per process. true with the path; false with why */
static bool python_path(char *path, size_t n, char *why, size_t wn)
{
    static char name_cache[512], path_cache[1024], why_cache[256];
    static bool cached, ok_cache;
    const char *name = getenv("QB_PYTHON");
    name = name && *name ? name : "python3";
    if (cached && strcmp(name, name_cache) == 0)
        goto out;
    cached = true;
    ok_cache = false;
    snprintf(name_cache, sizeof(name_cache), "%s", name);
    char found[1024];
    if (!find_program(name, found, sizeof(found))) {
        snprintf(why_cache, sizeof(why_cache),
                 strchr(name, '/') ? "no Python interpreter ('%s')" : "no '%s' on PATH", name);
        goto out;
    }
    char *argv[] = {found, (char *)"-I", (char *)"-c",
                    (char *)"import sys; sys.stdout.write(sys.executable)", NULL};
    extern char **environ;
    struct sandbox sb = {.dir = ".",
                         .path = found,
                         .argv = argv,
                         .envp = environ,
                         .timeout_s = 30,
                         .confine = false};
    struct sandbox_run r;
    char err[QB_ERR_LEN];
    if (sandbox_run(&sb, &r, err) < 0) {
        snprintf(why_cache, sizeof(why_cache), "%.200s", err);
        goto out;
    }
    if (!r.timed_out && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 && r.out[0] == '/' &&
        access(r.out, X_OK) == 0) {
        snprintf(path_cache, sizeof(path_cache), "%s", r.out);
        ok_cache = true;
    } else {
        snprintf(why_cache, sizeof(why_cache), "'%.200s' does not run (%s)", found,
                 r.timed_out ? "timed out" : "no sys.executable");
    }
    free(r.out);
    free(r.res);
out:
    snprintf(path, n, "%s", path_cache);
    snprintf(why, wn, "%s", why_cache);
    return ok_cache;
}

/* ---------------------------------------------------------------- the run */

static int rm_open(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_D && !S_ISLNK(st->st_mode))
        chmod(path, 0700);
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* the directory and all in it, whatever the program left there (modes, links) */
static void rm_tree(const char *dir)
{
    nftw(dir, rm_open, 16, FTW_PHYS);
    nftw(dir, rm_one, 16, FTW_PHYS | FTW_DEPTH);
}

static int write_text(const char *dir, const char *name, const char *s, size_t n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t k = fwrite(s, 1, n, f);
    return fclose(f) == 0 && k == n ? 0 : -1;
}

/* the last line of the output with something on it ("ZeroDivisionError: ...") */
static const char *last_line(const char *s, char *buf, size_t n)
{
    const char *e = s + strlen(s);
    while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
        e--;
    const char *b = e;
    while (b > s && b[-1] != '\n')
        b--;
    return grade_excerpt(b, (size_t)(e - b), 160, buf, n);
}

/* what the runner said on its result line, with the nonce */
static void verdict(const struct sandbox_run *r, const char *nonce, double timeout,
                    struct grade_result *out)
{
    char ll[200];
    const char *res = r->res;
    size_t nl = strlen(nonce);
    out->verdict = GRADE_FAIL;
    if (r->interrupted) {
        out->verdict = GRADE_ERROR;
        grade_detail(out, "interrupted");
    } else if (r->no_fs) {
        out->verdict = GRADE_SKIPPED;
        grade_detail(out, "no way to confine the code's writes on this system (%s)", r->setup);
    } else if (r->setup[0]) {
        out->verdict = GRADE_ERROR;
        grade_detail(out, "sandbox: %s", r->setup);
    } else if (r->timed_out) {
        grade_detail(out, "timed out: killed after %g s", timeout);
    } else if (strncmp(res, nonce, nl) == 0 && res[nl] == ' ') {
        const char *w = res + nl + 1;
        char *end = strchr(w, '\n');
        size_t len = end ? (size_t)(end - w) : strlen(w);
        char line[720];
        grade_excerpt(w, len, 700, line, sizeof(line));
        int passed, total, k = 0;
        if (sscanf(line, "tests %d %d %n", &passed, &total, &k) == 2 && k > 0) {
            if (total == 0) {
                out->verdict = GRADE_ERROR;
                grade_detail(out, "the item's tests have no assert statement");
            } else if (passed == total) {
                out->verdict = GRADE_PASS;
                grade_detail(out, "%d/%d tests passed", passed, total);
            } else {
                grade_detail(out, "%d/%d tests passed; %s", passed, total, line + k);
            }
        } else if (strncmp(line, "load ", 5) == 0) {
            grade_detail(out, "the code does not run: %s", line + 5);
        } else if (strncmp(line, "setup ", 6) == 0) {
            grade_detail(out, "the tests' set-up failed: %s", line + 6);
        } else if (strncmp(line, "badtests ", 9) == 0) {
            out->verdict = GRADE_ERROR;
            grade_detail(out, "the item's tests are not valid Python: %s", line + 9);
        } else {
            out->verdict = GRADE_ERROR;
            grade_detail(out, "unexpected runner output '%s'", line);
        }
    } else if (WIFSIGNALED(r->status)) {
        int s = WTERMSIG(r->status);
        last_line(r->out, ll, sizeof(ll));
        grade_detail(out, "killed by SIG%s%s%s%s", sigabbrev_np(s) ? sigabbrev_np(s) : "?",
                     s == SIGXCPU || s == SIGKILL ? " (CPU time limit)" : "", ll[0] ? "; " : "",
                     ll);
    } else {
        last_line(r->out, ll, sizeof(ll));
        grade_detail(out, "exited with status %d before the tests ended%s%s",
                     WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1, ll[0] ? "; " : "", ll);
    }
}

void grade_code(const cJSON *spec, const char *text, struct grade_result *out)
{
    const char *b, *e;
    int rc = code_block(text, &b, &e);
    if (rc == 0) {
        out->verdict = GRADE_FAIL;
        grade_detail(out, "no python code block (```python ... ```)");
        return;
    }
    if (rc < 0) {
        out->verdict = GRADE_INCOMPLETE;
        grade_detail(out, "the code block is never closed (the answer was cut off)");
        return;
    }
    char py[1024], why[256];
    if (!python_path(py, sizeof(py), why, sizeof(why))) {
        out->verdict = GRADE_SKIPPED;
        grade_detail(out, "%s", why);
        return;
    }
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(spec, "timeout_s");
    const cJSON *mm = cJSON_GetObjectItemCaseSensitive(spec, "memory_mb");
    const double timeout = cJSON_IsNumber(to) ? to->valuedouble : CODE_TIMEOUT_S;
    const double mem_mb = cJSON_IsNumber(mm) ? mm->valuedouble : CODE_MEMORY_MB;
    const char *tests = cJSON_GetObjectItemCaseSensitive(spec, "tests")->valuestring;

    const char *tmp = getenv("TMPDIR");
    char root[4096], box[4096 + 8], nonce[33];
    snprintf(root, sizeof(root), "%s/qb-grade.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    unsigned char rnd[16];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        out->verdict = GRADE_ERROR;
        grade_detail(out, "no random bytes: %s", strerror(errno));
        return;
    }
    for (int i = 0; i < 16; i++)
        snprintf(nonce + 2 * i, 3, "%02x", rnd[i]);
    if (!mkdtemp(root)) {
        out->verdict = GRADE_ERROR;
        grade_detail(out, "cannot make a temporary directory under '%s': %s",
                     tmp && *tmp ? tmp : "/tmp", strerror(errno));
        return;
    }
    snprintf(box, sizeof(box), "%s/box", root);
    char *runner = xasprintf(runner_py, nonce);
    char *files[3];
    files[0] = xasprintf("%s/solution.py", box);
    files[1] = xasprintf("%s/tests.py", box);
    files[2] = xasprintf("%s/run.py", box);
    /* a signal that ends quantbench removes them (util/sig.h: the files, then the directories
     * in the reverse order of their registration: the box before root) */
    sig_tmp_add(root);
    sig_tmp_add(box);
    for (int i = 0; i < 3; i++)
        sig_tmp_add(files[i]);
    if (mkdir(box, 0700) < 0 || write_text(box, "solution.py", b, (size_t)(e - b)) < 0 ||
        write_text(box, "tests.py", tests, strlen(tests)) < 0 ||
        write_text(box, "run.py", runner, strlen(runner)) < 0) {
        out->verdict = GRADE_ERROR;
        grade_detail(out, "cannot write the code to '%s': %s", box, strerror(errno));
        goto done;
    }
    char home[4200], tmpd[4200];
    snprintf(home, sizeof(home), "HOME=%s", box);
    snprintf(tmpd, sizeof(tmpd), "TMPDIR=%s", box);
    char *envp[] = {(char *)"PATH=/usr/local/bin:/usr/bin:/bin",
                    home,
                    tmpd,
                    (char *)"LANG=C.UTF-8",
                    (char *)"LC_ALL=C.UTF-8",
                    NULL};
    char *argv[] = {py,  (char *)"-I", (char *)"-B", (char *)"-X", (char *)"utf8", (char *)"run.py",
                    NULL};
    struct sandbox sb = {.dir = box,
                         .path = py,
                         .argv = argv,
                         .envp = envp,
                         .timeout_s = timeout,
                         .mem_bytes = (uint64_t)mem_mb << 20,
                         .fsize_bytes = CODE_FSIZE,
                         .confine = true};
    struct sandbox_run r;
    char err[QB_ERR_LEN];
    if (sandbox_run(&sb, &r, err) < 0) {
        out->verdict = GRADE_ERROR;
        grade_detail(out, "%s", err);
        goto done;
    }
    verdict(&r, nonce, timeout, out);
    free(r.out);
    free(r.res);
done:
    rm_tree(root);
    for (int i = 0; i < 3; i++) {
        sig_tmp_remove(files[i]);
        free(files[i]);
    }
    sig_tmp_remove(box);
    sig_tmp_remove(root);
    free(runner);
}
