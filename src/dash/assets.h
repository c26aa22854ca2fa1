/* The front-end's files (web/app.js, web/app.css, uPlot's script and stylesheet), built
 * into the binary by scripts/embed_assets.py (build/gen/dash_assets.c): nothing is read
 * from the disk or fetched at run time. Static data: nothing to free. */
#ifndef QB_DASH_ASSETS_H
#define QB_DASH_ASSETS_H

#include <stddef.h>

struct dash_asset {
    const char *name;          /* "app.js", "app.css", "uPlot.iife.min.js", "uPlot.min.css" */
    const unsigned char *data; /* its bytes, with a '\0' after them */
    size_t len;                /* its bytes, without that '\0' */
};

/* Every asset, ended by one whose name is NULL */
extern const struct dash_asset dash_assets[];

/* The asset called name, NULL when there is none */
const struct dash_asset *dash_asset_find(const char *name);

#endif
