#!/usr/bin/env bash
# The include directions of src/ (README "How it is built"): each folder may include
# only the folders listed for it; measure/ sees engine/ through engine.h alone. Prints
# every include that runs against them and exits 1; the build runs this first.
set -u
cd "$(dirname "$0")/../src" || exit 2
declare -A allow=(
    [util]="util"
    [grade]="grade util"
    [gguf]="gguf util"
    [mem]="mem gguf util"
    [engine]="engine gguf util"
    [net]="net util"
    [measure]="measure util engine/engine.h"
    [record]="record measure mem engine/engine.h util"
    [run]="run grade net record measure mem engine gguf util"
    [store]="store record util"
    [report]="report record util"
    [suite]="suite run grade net store report record measure mem engine gguf util"
    [dash]="dash suite store report record util"
    [cli]="cli dash suite run grade net store report record measure mem engine gguf util"
    [.]="cli dash suite run grade net store report record measure mem engine gguf util"
)
bad=0
while IFS= read -r f; do
    dir=$(dirname "$f")
    top=${dir%%/*}
    rules=${allow[$top]-}
    if [ -z "$rules" ]; then
        echo "layers: $f: folder '$top' has no rule in scripts/layers.sh"
        bad=1
        continue
    fi
    while IFS=: read -r line inc; do
        tgt=$(realpath -m --relative-to=. "$dir/$inc")
        tdir=$(dirname "$tgt")
        [ "$tdir" = . ] && tdir=$tgt
        ok=0
        for r in $rules; do
            if [ "$r" = "${tdir%%/*}" ] || [ "$r" = "$tgt" ]; then ok=1; break; fi
        done
        if [ $ok = 0 ]; then
            echo "layers: src/$f:$line includes \"$inc\" ($tgt): $top/ may include only: $rules"
            bad=1
        fi
    done < <(grep -n '^#include "' "$f" | sed 's/^\([0-9]*\):#include "\([^"]*\)".*/\1:\2/')
done < <(find . -name '*.[ch]' -o -name '*.cpp' | sed 's|^\./||' | sort)
exit $bad
