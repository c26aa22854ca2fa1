#!/usr/bin/env python3
"""The dashboard's front-end into the binary: writes a C file holding each asset given as
NAME=PATH as a byte array with its length (src/dash/assets.h declares them), so nothing is
read or fetched at run time. Refuses a script or stylesheet that could end the inline
<script> or <style> block page.c puts it in, or that names an outside URL (a library's
banner comment keeps its home page without the scheme)."""
import os
import re
import sys


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: embed_assets.py OUT.c NAME=PATH...\n")
        return 2
    out, specs = argv[1], argv[2:]
    parts = ["/* written by scripts/embed_assets.py from web/ and uPlot's dist: do not edit */",
             "#include <stddef.h>", "", '#include "../../src/dash/assets.h"', ""]
    table = []
    for i, spec in enumerate(specs):
        name, _, path = spec.partition("=")
        data = open(path, "rb").read()
        # no outside URL anywhere in the page: a library's banner comment may name its
        # home page, which is kept without its scheme; any other URL is refused
        m = re.match(rb"\s*/\*!.*?\*/", data, re.S)
        if m:
            data = re.sub(rb"https?://", b"", m.group(0)) + data[m.end():]
        if re.search(rb"https?://", data):
            sys.stderr.write("embed_assets: %s names an outside URL\n" % path)
            return 1
        low = data.lower()
        end = b"</style" if name.endswith(".css") else b"</script"
        if end in low or b"<!--" in low:
            sys.stderr.write("embed_assets: %s holds '%s' or '<!--': it cannot go inline\n"
                             % (path, end.decode()))
            return 1
        lines = []
        for k in range(0, len(data), 20):
            lines.append("    " + ", ".join(str(b) for b in data[k:k + 20]) + ",")
        parts.append("static const unsigned char a%d[%d] = {" % (i, len(data) + 1))
        parts.extend(lines)
        parts.append("    0};")
        table.append('    {"%s", a%d, %d},' % (re.sub(r'[^A-Za-z0-9._-]', '_', name), i, len(data)))
    parts.append("")
    parts.append("const struct dash_asset dash_assets[] = {")
    parts.extend(table)
    parts.append("    {NULL, NULL, 0}};")
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(parts) + "\n")
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
