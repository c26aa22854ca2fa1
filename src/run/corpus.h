/* Named texts for perplexity, KL-divergence and importance matrices (--corpus NAME), so
 * runs on different machines name the same text. Nothing is downloaded: a name is a
 * file already here.
 *   gpl-3       /usr/share/common-licenses/GPL-3 (Debian's base-files)
 *   licenses    every file in /usr/share/common-licenses, in name order, joined by a
 *               blank line (about 260 KB), written once into the corpus directory
 *   wikitext-2  wikitext-2-raw/wiki.test.raw or wiki.test.raw in the corpus directory
 *               (the file llama-perplexity's users score), put there by the user
 *   NAME        NAME.txt or NAME in the corpus directory
 * The corpus directory is $QB_CORPUS_DIR, else ~/.cache/quantbench/corpora. */
#ifndef QB_CORPUS_H
#define QB_CORPUS_H

#include <stdio.h>

/* The file of corpus name (the caller frees); NULL with err naming the name and where it
 * was looked for. */
char *corpus_path(const char *name, char *err);

/* The known names, each with its file or why it is missing, one per line. */
void corpus_list(FILE *fp);

#endif
