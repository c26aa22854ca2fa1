#!/usr/bin/env bash
# The include directions (scripts/layers.sh, run by the build): the tree passes, and an
# include against them, in each of the layers it guards, fails with a line naming it.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p tree/scripts && cp -r "$top/src" tree/src && cp "$top/scripts/layers.sh" tree/scripts/
run bash tree/scripts/layers.sh
expect_rc 0 "the tree as committed"

# FILE INCLUDE: that include breaks the rules, and the message names file, line and target
violate() {
    local f=$1 inc=$2
    cp "tree/src/$f" saved
    { echo "#include \"$inc\""; cat saved; } >"tree/src/$f"
    run bash tree/scripts/layers.sh
    cp saved "tree/src/$f"
    expect_rc 1 "$f including $inc"
    grep -qF "layers: src/$f:1 includes \"$inc\"" "$T/out" || { cat "$T/out"; fail "no line for $f -> $inc"; }
}
violate engine/llama.c ../measure/sweep.h    # engine/ below measure/
violate engine/worker.c ../run/proto.h       # process management below the run layer
violate measure/sweep.c ../engine/worker.h   # measure/ knows engine.h only
violate measure/ppl.c ../gguf/gguf.h
violate run/proto.c ../cli/cmd.h             # run/ below the commands
violate store/store.c ../run/runner.h
violate report/table.c ../store/store.h
violate util/util.c ../gguf/gguf.h
# a new folder without a rule is refused too
mkdir tree/src/extra && echo '#include "../util/util.h"' >tree/src/extra/x.c
run bash tree/scripts/layers.sh
expect_rc 1 "a folder without a rule"
expect_out_has "folder 'extra' has no rule"
rm -r tree/src/extra
# the build runs it: the Makefile's link targets depend on it
grep -q '^\$(QB): \$(LAYERS_OK)' "$top/Makefile" || fail "the binary does not depend on the layer check"
grep -q '^\$(UNIT): \$(LAYERS_OK)' "$top/Makefile" || fail "the unit tests do not depend on the layer check"
exit 0
