/* quantbench pull: GGUF files from the Hugging Face Hub (net/hf.h does the work): the
 * files of a quant, every part of a split model, resumable and hash-checked. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../net/hf.h"
#include "../util/log.h"
#include "../util/sig.h"
#include "cmd.h"

static const char pull_help[] =
    "usage: quantbench pull REPO[:QUANT] | URL [-o DIR] [--revision R] [--no-progress]\n"
    "\n"
    "Downloads a model's GGUF files from the Hugging Face Hub into DIR and prints their\n"
    "paths on stdout, one a line. REPO is OWNER/NAME; QUANT picks the files whose name\n"
    "holds the tag followed by '.' or '-', case-insensitively, as llama.cpp's -hf does\n"
    "(no QUANT: Q4_K_M, else Q8_0, else the first model file). A split model\n"
    "(NAME-00001-of-00003.gguf) comes whole. A URL is fetched as it is.\n"
    "\n"
    "Each file goes to DIR/NAME.part first, is checked (size, and the SHA-256 against the\n"
    "repository's LFS object id) and only then renamed to DIR/NAME. A rerun after an\n"
    "interruption (Ctrl-C, kill -9, a reboot) resumes the partial with a Range request\n"
    "(what it holds is hashed from the state kept in DIR/NAME.part.sha256, not again);\n"
    "a server that answers it with the whole file restarts it from byte 0. A dropped\n"
    "connection is resumed a few times. A wrong hash deletes the partial and places\n"
    "nothing. A complete DIR/NAME of the right size and hash is kept.\n"
    "\n"
    "Flags:\n"
    "  -o, --output DIR   where the files go (default .; made when missing)\n"
    "  --revision R       a branch, tag or commit (default main)\n"
    "  --no-progress      no progress lines (bytes, rate, ETA) on stderr\n"
    "\n"
    "Environment:\n"
    "  HF_ENDPOINT        the Hub (default https://huggingface.co)\n"
    "  HF_TOKEN           sent as 'Authorization: Bearer' to the HF_ENDPOINT host only,\n"
    "                     never to a host a redirect leads to (the CDN)\n"
    "\n"
    "Exit codes here: 2 for bad flags and an HF_TOKEN holding a control character; 3 for\n"
    "a malformed REPO[:QUANT], a repository, revision or file that\n"
    "is not there (HTTP 404) and a QUANT no file matches (the quants there are listed);\n"
    "1 for HTTP 401/403 (a token needed or refused), other HTTP errors, no connection, a\n"
    "write failure (disk full) or a wrong hash; 130/143 when interrupted (the partial\n"
    "is kept).\n"
    "\n" QB_EXIT_CODES_HELP;

static int fail(enum qb_kind k, const char *err)
{
    error("%s", err);
    if (k == QB_KIND_INTERRUPTED)
        return sig_exit_code() ? sig_exit_code() : QB_EXIT_SIGINT;
    return qb_kind_exit(k);
}

int cmd_pull(int argc, char **argv)
{
    const char *spec = NULL, *dir = ".", *rev = NULL;
    bool progress = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(pull_help, stdout);
            return QB_EXIT_OK;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--revision")) {
            if (i + 1 >= argc)
                return usage_error("pull", "%s needs a value", a);
            if (!argv[i + 1][0])
                return usage_error("pull", "%s: empty value", a);
            if (!strcmp(a, "--revision"))
                rev = argv[++i];
            else
                dir = argv[++i];
        } else if (!strcmp(a, "--no-progress")) {
            progress = false;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("pull", "unknown flag '%s'", a);
        } else if (spec) {
            return usage_error("pull", "one REPO[:QUANT] or URL, got a second: '%s'", a);
        } else {
            spec = a;
        }
    }
    if (!spec)
        return usage_error("pull", "no REPO[:QUANT] or URL given");
    char err[QB_ERR_LEN];
    if (sig_install(err) < 0)
        return error("%s", err);
    struct stat st;
    if (stat(dir, &st) < 0) {
        if (errno != ENOENT || mkdir(dir, 0755) < 0)
            return error("'%s': cannot make the directory: %s", dir, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return usage_error("pull", "-o '%s': not a directory", dir);
    }
    enum qb_kind kind;
    struct hf_files fs;
    if (hf_resolve(spec, rev, &fs, &kind, err) < 0)
        return fail(kind, err);
    struct hf_progress pg = {progress, progress && isatty(STDERR_FILENO) == 1};
    int rc = QB_EXIT_OK;
    for (size_t i = 0; i < fs.n; i++) {
        struct hf_file *f = &fs.v[i];
        if ((!f->size || !f->sha256[0]) && hf_probe(f, &kind, err) < 0) {
            rc = fail(kind, err);
            break;
        }
        if (!f->sha256[0])
            log_printf("quantbench: warning: '%s': no SHA-256 known, only the size is checked\n",
                       f->url);
        enum hf_kept kept;
        if (hf_download(f, dir, &pg, &kept, &kind, err) < 0) {
            rc = fail(kind, err);
            break;
        }
        const char *b = strrchr(f->path, '/');
        b = b ? b + 1 : f->path;
        if (kept != HF_FETCHED && progress)
            fprintf(stderr, "pull '%s': already complete (%s)\n", b,
                    kept == HF_KEPT_MARKED ? "size, and its SHA-256 checked before at this size "
                                             "and mtime"
                    : f->sha256[0]         ? "size and SHA-256 match"
                                           : "the size matches");
        printf("%s/%s\n", dir, b);
        fflush(stdout);
    }
    hf_files_free(&fs);
    return rc;
}
