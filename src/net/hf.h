/* Hugging Face Hub over libcurl: a repository's file list (the tree API), the GGUF files
 * of a quant picked from it the way llama.cpp's -hf picks them (split files: every part),
 * their resolve URLs, byte ranges of a file (a GGUF header read without the file) and a
 * resumable, hash-checked download (quantbench pull). The endpoint is $HF_ENDPOINT
 * (default https://huggingface.co); $HF_TOKEN goes as "Authorization: Bearer" to the
 * endpoint's host and port only, never to a host a redirect leads to (redirects are
 * followed here, hop by hop, not by libcurl). Nothing here prints but hf_download's
 * progress lines. */
#ifndef QB_NET_HF_H
#define QB_NET_HF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/exit.h"

/* One file to fetch */
struct hf_file {
    char *url;       /* where: {endpoint}/{repo}/resolve/{rev}/{path}, or the URL given */
    char *path;      /* its path in the repository (a URL's last segment) */
    uint64_t size;   /* bytes; 0 when not known (a URL before its first answer) */
    char sha256[65]; /* the LFS object id (lowercase hex); "" when not known */
};

struct hf_files {
    struct hf_file *v; /* owned, n of them */
    size_t n;
};

void hf_files_free(struct hf_files *fs); /* frees the entries; fs itself is the caller's */

/* The endpoint: $HF_ENDPOINT without a trailing '/', or "https://huggingface.co" (static) */
const char *hf_endpoint(void);

/* Resolve spec, "OWNER/NAME[:QUANT]" or an http(s) URL, at revision (NULL: "main") into
 * the files to fetch, in order: for a repository its tree listing (every page), the GGUF
 * model files of QUANT (case-insensitive "QUANT." or "QUANT-" in the path, as llama.cpp's
 * -hf; no QUANT: Q4_K_M, then Q8_0, then the first model file), every part of a split
 * file ("-00001-of-00003.gguf"), each with its size and LFS sha256; for a URL the URL
 * alone (size and hash from the answer's X-Linked-Size / X-Linked-Etag once fetched;
 * hf_probe gets them). 0, or -1 with *kind and err: input for a bad spec, a repository or
 * file that is not there (404), no file matching QUANT (err lists the quants there);
 * runtime for 401/403 (err says a token is needed), other HTTP errors, no connection;
 * interrupted on a signal. out is overwritten; free with hf_files_free. */
int hf_resolve(const char *spec, const char *revision, struct hf_files *out, enum qb_kind *kind,
               char *err);

/* HEAD-like probe of f->url (a GET of byte 0, redirects followed): fills f->size (from
 * X-Linked-Size or Content-Range) and f->sha256 (from X-Linked-Etag when it is a sha256)
 * where they are unknown. 0, or -1 with *kind and err as hf_resolve. */
int hf_probe(struct hf_file *f, enum qb_kind *kind, char *err);

/* Bytes [offset, offset + n) of url (redirects followed, the token as above) into buf;
 * *got is how many came (fewer only at the file's end); *total the file's size when the
 * answer said it (0 otherwise). A server that ignores Range is read up to offset + n and
 * cut (the bytes before offset dropped). 0, or -1 with *kind and err. */
int hf_read_range(const char *url, uint64_t offset, size_t n, void *buf, size_t *got,
                  uint64_t *total, enum qb_kind *kind, char *err);

/* How hf_download shows progress on stderr */
struct hf_progress {
    bool on;  /* print at all */
    bool tty; /* redraw one line with \r (else a line per PROGRESS_INTERVAL_S) */
};

/* Download f into dir as dir/BASENAME (BASENAME: the last segment of f->path) through the
 * fixed partial dir/BASENAME.part: an existing partial is hashed (from the hash state kept
 * in dir/BASENAME.part.sha256 when there is one) and resumed with "Range:
 * bytes=N-"; a 200 answer to it restarts from byte 0; a 206 whose Content-Range does not
 * start at N is an error; a dropped connection is resumed (a few tries). The whole file's
 * size and sha256 are checked against f's before rename() into place; a wrong hash deletes
 * the partial (it is corrupt) and places nothing. A complete dir/BASENAME of the right size
 * and hash is kept as is (*kept; a file placed or found complete carries a mark, in the
 * extended attribute user.quantbench.sha256, of its hash, size and mtime: while size and
 * mtime stay, it is not hashed again). 0, or -1 with *kind and err (runtime: HTTP, a write
 * failure such as a full disk, a hash mismatch; input: 404; interrupted: a signal, the
 * partial kept for the next run). */
enum hf_kept {
    HF_FETCHED,     /* downloaded (or failed) */
    HF_KEPT_HASHED, /* complete: size and SHA-256 (hashed now; the size alone when none known) */
    HF_KEPT_MARKED, /* complete: size, and the mark of an earlier check at this size and mtime */
};
int hf_download(const struct hf_file *f, const char *dir, const struct hf_progress *pg,
                enum hf_kept *kept, enum qb_kind *kind, char *err);

/* The tree listing parser (a JSON array of {type, path, size, oid, lfs{oid, size}}): the
 * "file" entries appended to out with url NULL; entries with an unsafe path (empty,
 * absolute, "." or ".." segments, a backslash or control byte) or a malformed LFS oid are
 * skipped. 0, or -1 with err when buf is not a JSON array. */
int hf_tree_parse(const char *buf, size_t len, struct hf_files *out, char *err);

/* The GGUF model files of quant (NULL or "": the default order above) in files, split parts
 * all, into out (copies); 0, or -1 with err listing the quants present. */
int hf_select(const struct hf_files *files, const char *quant, struct hf_files *out, char *err);

/* The quant tag of a GGUF file name as llama.cpp reads it: the split suffix and ".gguf"
 * taken off, then the last "-" or "." segment of [A-Za-z0-9_] uppercased ("Q4_K_M"); ""
 * when none. *index / *count: the split part (1 / 1 for a file that is not split). */
void hf_gguf_tag(const char *path, char tag[64], int *index, int *count);

/* The answer headers read from servers: a Content-Range "bytes A-B/T" into *a, *b, *t (*t 0
 * for "*"), -1 when it is not that (B < A, T <= B, not numbers); a Link header's
 * rel="next" URL into out (cap bytes with the NUL; "" when none or too long). */
int hf_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *t);
void hf_link_next(const char *v, char *out, size_t cap);

#endif
