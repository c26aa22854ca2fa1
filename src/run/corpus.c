/* Named texts (see corpus.h). */
#include "corpus.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/util.h"

#define LICENSES "/usr/share/common-licenses"

static char *corpus_dir(void)
{
    const char *d = getenv("QB_CORPUS_DIR");
    if (d && d[0])
        return xstrdup(d);
    const char *home = getenv("HOME");
    return xasprintf("%s/.cache/quantbench/corpora", home && home[0] ? home : "/tmp");
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the licenses corpus: written once (atomically) into dir */
static char *licenses_corpus(const char *dir, char *err)
{
    char *out = xasprintf("%s/licenses.txt", dir);
    if (is_file(out))
        return out;
    DIR *d = opendir(LICENSES);
    if (!d) {
        set_err(err, "corpus 'licenses': cannot open '%s': %s", LICENSES, strerror(errno));
        free(out);
        return NULL;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char *p = xasprintf("%s/%s", LICENSES, de->d_name);
        struct stat st;
        if (de->d_name[0] != '.' && lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            names = xrealloc(names, (n + 1) * sizeof(char *));
            names[n++] = p;
        } else {
            free(p);
        }
    }
    closedir(d);
    qsort(names, n, sizeof(char *), cmp_str);
    /* the texts joined by a blank line, then written at once */
    char *all = xstrdup("");
    size_t used = 0;
    bool ok = n > 0;
    for (size_t i = 0; i < n && ok; i++) {
        size_t len;
        char *text = read_file(names[i], 1 << 24, &len, err);
        ok = text != NULL;
        if (ok) {
            all = xrealloc(all, used + len + 3);
            memcpy(all + used, text, len);
            memcpy(all + used + len, "\n\n", 3);
            used += len + 2;
        }
        free(text);
    }
    if (ok && mkdir_p(dir) < 0) {
        set_err(err, "corpus 'licenses': cannot create '%s': %s", dir, strerror(errno));
        ok = false;
    } else if (!ok && n == 0) {
        set_err(err, "corpus 'licenses': no license texts in '%s'", LICENSES);
    }
    if (ok && write_file_atomic(out, all, err) < 0)
        ok = false;
    free(all);
    if (!ok) {
        free(out);
        out = NULL;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return out;
}

char *corpus_path(const char *name, char *err)
{
    err[0] = '\0';
    if (!name[0] || strchr(name, '/') || strcmp(name, "..") == 0 || strcmp(name, ".") == 0) {
        set_err(err, "invalid corpus name '%s' (a name, not a path; -f takes a file)", name);
        return NULL;
    }
    if (strcmp(name, "gpl-3") == 0) {
        if (is_file(LICENSES "/GPL-3"))
            return xstrdup(LICENSES "/GPL-3");
        set_err(err, "corpus 'gpl-3': '%s' is missing (Debian's base-files ships it)",
                LICENSES "/GPL-3");
        return NULL;
    }
    char *dir = corpus_dir(), *p = NULL;
    if (strcmp(name, "licenses") == 0) {
        p = licenses_corpus(dir, err);
        free(dir);
        return p;
    }
    const char *cand[3][2] = {{name, ".txt"}, {name, ""}, {NULL, NULL}};
    if (strcmp(name, "wikitext-2") == 0) {
        cand[0][0] = "wikitext-2-raw/wiki.test.raw";
        cand[0][1] = "";
        cand[1][0] = "wiki.test.raw";
    }
    for (int i = 0; cand[i][0] && !p; i++) {
        char *c = xasprintf("%s/%s%s", dir, cand[i][0], cand[i][1]);
        if (is_file(c))
            p = c;
        else
            free(c);
    }
    if (!p)
        set_err(err,
                "unknown corpus '%s': no %s/%s%s (known: gpl-3, licenses, wikitext-2, or a "
                "file you put in %s)",
                name, dir, strcmp(name, "wikitext-2") == 0 ? "wikitext-2-raw/wiki.test.raw" : name,
                strcmp(name, "wikitext-2") == 0 ? "" : "[.txt]", dir);
    free(dir);
    return p;
}

void corpus_list(FILE *fp)
{
    static const char *const names[] = {"gpl-3", "licenses", "wikitext-2"};
    char *dir = corpus_dir();
    /* paths and file names are outside text: escaped (str_escape) */
    fputs("corpus directory: ", fp);
    fput_escaped(dir, 0, fp);
    fputc('\n', fp);
    for (size_t i = 0; i < QB_ARRAY_LEN(names); i++) {
        char err[QB_ERR_LEN];
        char *p = corpus_path(names[i], err);
        fprintf(fp, "%-12s ", names[i]);
        fput_escaped(p ? p : err, 0, fp);
        fputc('\n', fp);
        free(p);
    }
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        char *p = xasprintf("%s/%s", dir, de->d_name);
        size_t n = strlen(de->d_name);
        if (de->d_name[0] != '.' && is_file(p) && strcmp(de->d_name, "licenses.txt") != 0) {
            char *name =
                xstrndup(de->d_name, n > 4 && !strcmp(de->d_name + n - 4, ".txt") ? n - 4 : n);
            char *e = str_escape(name, 0);
            fprintf(fp, "%-12s ", e);
            fput_escaped(p, 0, fp);
            fputc('\n', fp);
            free(e);
            free(name);
        }
        free(p);
    }
    if (d)
        closedir(d);
    free(dir);
}
